namespace XaiGrid.Orchestration.Experiments;

/// <summary>Classes of a job: all classes of the data (<see cref="Classes"/> null) or the listed ones.</summary>
public sealed record ClassSelection(IReadOnlyList<int>? Classes, SourceLocation Location)
{
    public IReadOnlyList<int> Resolve(int numClasses) => Classes ?? Enumerable.Range(0, numClasses).ToList();

    public string Describe() => Classes is null ? "all classes" : $"classes {string.Join(",", Classes)}";
}
