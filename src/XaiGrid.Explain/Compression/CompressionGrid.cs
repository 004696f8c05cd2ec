namespace XaiGrid.Explain.Compression;

/// <summary>
/// The compression heatmap of class <see cref="Class"/> at <see cref="Layer"/>: recall and precision of the compressed
/// model for every (top, bottom), indexed [top index][bottom index]; the best point (highest recall, then highest
/// precision, then fewest channels); and the original model's counts beside it.
/// </summary>
public sealed record CompressionGrid(int Class, string Layer, int[] Tops, int[] Bottoms, double[][] Recall, double[][] Precision,
    CompressionPoint Best, ClassCounts Original)
{
    public double OriginalRecall => Original.Recall;

    public double OriginalPrecision => Original.Precision;

    /// <summary>Builds the grid from one point per (top, bottom), computed in any order (e.g. one cell each).</summary>
    public static CompressionGrid Assemble(int cls, string layer, int[] tops, int[] bottoms, IEnumerable<CompressionPoint> points,
        ClassCounts original)
    {
        if (tops.Length == 0 || bottoms.Length == 0) throw new ArgumentException("a compression grid needs at least one top and one bottom");
        if (tops.Distinct().Count() != tops.Length || bottoms.Distinct().Count() != bottoms.Length)
            throw new ArgumentException("a compression grid's tops and bottoms must not repeat");
        var cells = new CompressionPoint?[tops.Length, bottoms.Length];
        foreach (var p in points)
        {
            if (p.Counts.Class != cls) throw new ArgumentException($"a point of class {p.Counts.Class} in the grid of class {cls}");
            int i = Array.IndexOf(tops, p.Top), j = Array.IndexOf(bottoms, p.Bottom);
            if (i < 0 || j < 0) throw new ArgumentException($"point (top {p.Top}, bottom {p.Bottom}) is not on the grid");
            if (cells[i, j] is not null) throw new ArgumentException($"point (top {p.Top}, bottom {p.Bottom}) is given twice");
            cells[i, j] = p;
        }
        var ordered = new List<CompressionPoint>();
        for (int i = 0; i < tops.Length; i++)
        for (int j = 0; j < bottoms.Length; j++)
            ordered.Add(cells[i, j] ?? throw new ArgumentException($"point (top {tops[i]}, bottom {bottoms[j]}) is missing"));
        // OrderBy is stable: among full ties the first point in grid order wins.
        var best = ordered.OrderByDescending(p => p.Recall).ThenByDescending(p => p.Precision).ThenBy(p => p.Channels).First();
        return new CompressionGrid(cls, layer, tops, bottoms,
            tops.Select((_, i) => bottoms.Select((_, j) => cells[i, j]!.Recall).ToArray()).ToArray(),
            tops.Select((_, i) => bottoms.Select((_, j) => cells[i, j]!.Precision).ToArray()).ToArray(),
            best, original);
    }
}
