using XaiGrid.Report.Data;

namespace XaiGrid.Report.Figures;

/// <summary>A linear axis: its range, tick positions at 1, 2 or 5 times a power of ten, and their labels.</summary>
internal sealed record Axis(double Lo, double Hi, double[] Ticks, string[] Labels)
{
    /// <summary>
    /// An axis over the data range [<paramref name="lo"/>, <paramref name="hi"/>] widened to whole ticks, or exactly
    /// <paramref name="fixedRange"/> when given. An empty range is widened around its value.
    /// </summary>
    public static Axis Nice(double lo, double hi, (double Lo, double Hi)? fixedRange = null, int target = 5)
    {
        if (fixedRange is { } r) (lo, hi) = r;
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) (lo, hi) = (0, 1);
        if (hi <= lo)
        {
            double pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            (lo, hi) = (lo - pad, hi + pad);
        }
        double raw = (hi - lo) / target, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw))), norm = raw / magnitude;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
        if (fixedRange is null) (lo, hi) = (Math.Floor(lo / step) * step, Math.Ceiling(hi / step) * step);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        var ticks = new List<double>();
        for (long k = (long)Math.Ceiling(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.Add(k * step);
        return new Axis(lo, hi, ticks.ToArray(), ticks.Select(t => Format.Fixed(t, decimals)).ToArray());
    }

    /// <summary>Positions 0 .. n-1 labelled by name (the layers of a sanity check), half a step of room at each end.</summary>
    public static Axis Categories(IReadOnlyList<string> names) =>
        new(-0.5, names.Count - 0.5, Enumerable.Range(0, names.Count).Select(i => (double)i).ToArray(), names.ToArray());

    /// <summary>The pixel of <paramref name="value"/> on an axis drawn from pixel <paramref name="from"/> (at Lo) to <paramref name="to"/> (at Hi).</summary>
    public int Pixel(double value, int from, int to) =>
        (int)Math.Round(from + (Math.Clamp(value, Lo, Hi) - Lo) / (Hi - Lo) * (to - from));
}
