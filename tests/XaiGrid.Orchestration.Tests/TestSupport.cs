using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

/// <summary>Paths of the checkout and a data catalog with given counts, so plans need no data on disk.</summary>
internal static class TestSupport
{
    /// <summary>The folder holding XaiGrid.sln: the experiments' relative paths assume running from there.</summary>
    public static string RepositoryRoot() => Testing.Reference.RepositoryRoot;

    /// <summary>Transitive dependents of <paramref name="roots"/> in <paramref name="plan"/>, the roots included.</summary>
    public static HashSet<string> Downstream(ExperimentPlan plan, IEnumerable<string> roots)
    {
        var closure = new HashSet<string>(roots);
        foreach (var cell in plan.Cells)
            if (cell.Dependencies.Any(closure.Contains)) closure.Add(cell.Key);
        return closure;
    }
}

/// <summary>Counts per data spec, as a test states them.</summary>
internal sealed class FakeDataCatalog(Dictionary<string, DataCounts> counts) : IDataCatalog
{
    public List<string> Asked { get; } = [];

    public DataCounts Counts(DataEntry data)
    {
        Asked.Add(data.Spec);
        return counts.TryGetValue(data.Spec, out var c) ? c : throw new KeyNotFoundException($"the fake catalog has no '{data.Spec}'");
    }

    /// <summary>MNIST-1D's shape (10 classes, 4000/1000) with uneven classes: train 400 each, test 95 + c.</summary>
    public static FakeDataCatalog Mnist1D() => new(new()
    {
        ["mnist1d"] = new DataCounts(Enumerable.Repeat(400L, 10).ToArray(), Enumerable.Range(0, 10).Select(c => 95L + c).ToArray()),
    });
}
