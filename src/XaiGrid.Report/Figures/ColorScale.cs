using ScottPlot;

namespace XaiGrid.Report.Figures;

/// <summary>
/// A colormap over a value range, for a colour bar beside something that is not a ScottPlot heatmap (a curve coloured
/// by its map, an overlay blended outside ScottPlot). An empty range is widened so the bar still has a scale.
/// </summary>
internal sealed class ColorScale(IColormap colormap, double lo, double hi) : IHasColorAxis
{
    public IColormap Colormap { get; set; } = colormap;

    public double Lo { get; } = lo;
    public double Hi { get; } = hi > lo ? hi : lo + 1;

    public ScottPlot.Range GetRange() => new(Lo, Hi);

    /// <summary>The colour of <paramref name="value"/>: its place in [Lo, Hi], clamped.</summary>
    public Color ColorOf(double value) => Colormap.GetColor(Math.Clamp((value - Lo) / (Hi - Lo), 0, 1));

    /// <summary>A scale over the finite values (0 to 1 when there are none).</summary>
    public static ColorScale Over(IColormap colormap, IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        return finite.Count == 0 ? new ColorScale(colormap, 0, 1) : new ColorScale(colormap, finite.Min(), finite.Max());
    }
}
