using XaiGrid.Store;

namespace XaiGrid.Orchestration.Execution;

/// <summary>
/// A cell as a worker receives it: its description and the results of the cells it depends on (in the planner's
/// order), whose artifacts it fetches by hash. Nothing in it is a path: artifacts and cells are named by hashes.
/// </summary>
public sealed record WorkItem(string Key, string Kind, string Parameters, IReadOnlyList<DependencyResult> Dependencies, string Label = "");

/// <summary>What a finished dependency produced.</summary>
public sealed record DependencyResult(string Key, string Kind, CellResults Results)
{
    public string Artifact(string name) =>
        Results.Artifacts.TryGetValue(name, out var hash) ? hash
            : throw new InvalidDataException($"dependency {Kind} {Key[..12]} has no artifact '{name}'");
}

/// <summary>Where a worker gets artifact bytes: the local store in one process, the coordinator in cluster mode.</summary>
public interface IArtifactSource
{
    byte[] Get(string hash);
}

/// <summary>An artifact a cell produced, with its media type; the sink stores it content-addressed.</summary>
public sealed record ArtifactBytes(byte[] Bytes, string MediaType)
{
    public const string Npy = "application/x-npy", SafeTensors = "application/x-safetensors";
}

/// <summary>What executing a cell produced.</summary>
public sealed record CellOutput
{
    public Dictionary<string, double> Scalars { get; } = new();
    public Dictionary<string, string> Tables { get; } = new();
    public Dictionary<string, ArtifactBytes> Artifacts { get; } = new();
}
