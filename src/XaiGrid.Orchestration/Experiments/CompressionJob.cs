namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Compression by influence at <see cref="Layer"/> for each selected class of every run of <see cref="Model"/>: one
/// point per (top, bottom) of the grid, channels ranked by the class-wide influence of the class's training
/// instances (q = S_c) and scored by <see cref="Aggregate"/>.
/// </summary>
public sealed record CompressionJob(string Name, string Model, string Layer, ClassSelection Classes, IReadOnlyList<int> Top,
    IReadOnlyList<int> Bottom, string Aggregate, SourceLocation Location);
