namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// A validated experiment file: data sets, models with their training grids, and the jobs run on the trained models.
/// Sections keep the file's order; names resolve (every reference was checked when the file was loaded).
/// </summary>
public sealed record ExperimentDefinition(string Name, string Source, IReadOnlyList<DataEntry> Data, IReadOnlyList<ModelDefinition> Models,
    IReadOnlyList<ExplanationJob> Explanations, IReadOnlyList<EvaluationJob> Evaluations, IReadOnlyList<InfluenceJob> Influence,
    IReadOnlyList<CompressionJob> Compression, PartitionSettings Partition, ReportSettings Report)
{
    public DataEntry DataNamed(string name) =>
        Data.FirstOrDefault(d => d.Name == name) ?? throw new KeyNotFoundException($"no data '{name}' in {Source}; defined: {string.Join(", ", Data.Select(d => d.Name))}");

    public ModelDefinition ModelNamed(string name) =>
        Models.FirstOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"no model '{name}' in {Source}; defined: {string.Join(", ", Models.Select(m => m.Name))}");

    public ExplanationJob ExplanationNamed(string name) =>
        Explanations.FirstOrDefault(e => e.Name == name)
        ?? throw new KeyNotFoundException($"no explanations '{name}' in {Source}; defined: {string.Join(", ", Explanations.Select(e => e.Name))}");
}
