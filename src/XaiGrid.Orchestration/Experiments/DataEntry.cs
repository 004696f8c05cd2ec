using XaiGrid.Data;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// A data set of an experiment: a <see cref="DataSpec"/> string and how it is loaded. Relative paths in
/// <see cref="Spec"/> are kept as written and resolve against the working folder of whoever loads them (the
/// executors), so the same file gives the same cell keys wherever the checkout lives.
/// </summary>
public sealed record DataEntry(string Name, string Spec, int? ImageSize, bool Normalize, double TestFraction, ulong SplitSeed)
{
    /// <summary>The bundled data sets that <see cref="DataSpec"/> knows by name; anything else is a path.</summary>
    public static readonly string[] BundledNames = ["mnist1d", "mnist"];

    public DataSpecOptions Options() =>
        new() { ImageSize = ImageSize, Normalize = Normalize, TestFraction = TestFraction, SplitSeed = SplitSeed };

    /// <summary><see cref="Spec"/> with its relative paths made absolute against <paramref name="relativeTo"/>.</summary>
    public string ResolvedSpec(string relativeTo) =>
        string.Join(",", Spec.Split(',', StringSplitOptions.TrimEntries)
            .Select(part => BundledNames.Contains(part) ? part : Path.GetFullPath(part, relativeTo)));
}
