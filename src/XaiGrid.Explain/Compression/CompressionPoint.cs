namespace XaiGrid.Explain.Compression;

/// <summary>
/// One point of a compression grid: the <see cref="Top"/> most positively and <see cref="Bottom"/> most negatively
/// influential channels kept (<see cref="Channels"/> in all, fewer when the two ends overlap), and the compressed
/// model's one-vs-rest counts for the class on the test set.
/// </summary>
public sealed record CompressionPoint(int Top, int Bottom, int Channels, ClassCounts Counts)
{
    public double Recall => Counts.Recall;

    public double Precision => Counts.Precision;
}
