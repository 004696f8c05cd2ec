using System.Collections.Concurrent;
using XaiGrid.Data;
using XaiGrid.Orchestration.Experiments;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// Counts by loading each data entry once through <see cref="DataSpec"/> and keeping only the counts. Relative paths
/// resolve against <paramref name="relativeTo"/> (the working folder unless given), as the experiment loader checks
/// them. Normalization and image size do not change labels, so entries differing only in those share one load.
/// </summary>
public sealed class DataSpecCatalog(string? relativeTo = null, string? dataRoot = null) : IDataCatalog
{
    private readonly ConcurrentDictionary<string, Lazy<DataCounts>> counts = new();

    public DataCounts Counts(DataEntry data)
    {
        var entry = data with { Normalize = false, ImageSize = null };
        var key = CanonicalJson.Serialize(CellParameters.Data(entry));
        return counts.GetOrAdd(key, _ => new Lazy<DataCounts>(() => Load(entry))).Value;
    }

    private DataCounts Load(DataEntry entry)
    {
        var spec = entry.ResolvedSpec(relativeTo ?? Directory.GetCurrentDirectory());
        using var split = DataSpec.Load(spec, entry.Options() with { Root = dataRoot });
        return new DataCounts(PerClass(split.Train), PerClass(split.Test));
    }

    private static long[] PerClass(LabeledDataset data)
    {
        var perClass = new long[data.NumClasses];
        foreach (var label in data.LabelArray()) perClass[label]++;
        return perClass;
    }
}
