namespace XaiGrid.Explain.Sanity;

/// <summary>
/// Spearman's rank correlation: the Pearson correlation of the two samples' ranks, tied values sharing the average of
/// the ranks they span (as scipy.stats.spearmanr). Undefined (NaN) when either sample is constant.
/// </summary>
public static class Spearman
{
    /// <summary>Ranks 1..n of <paramref name="values"/>, ties getting their average rank; NaN is refused.</summary>
    public static double[] Ranks(ReadOnlySpan<double> values)
    {
        var order = new int[values.Length];
        var keys = values.ToArray();
        if (keys.Any(double.IsNaN)) throw new ArgumentException("cannot rank NaN", nameof(values));
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        var ranks = new double[values.Length];
        for (int start = 0; start < keys.Length;)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            // Positions start..end-1 hold equal values: ranks start+1..end, whose average is (start + 1 + end) / 2.
            double average = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++) ranks[order[k]] = average;
            start = end;
        }
        return ranks;
    }

    /// <summary>The rank correlation of two samples of the same length (at least 2).</summary>
    public static double Correlation(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"samples of different lengths ({a.Length} and {b.Length})");
        if (a.Length < 2) throw new ArgumentException($"a rank correlation needs at least 2 values, got {a.Length}");
        return Pearson(Ranks(a), Ranks(b));
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
