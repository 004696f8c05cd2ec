namespace XaiGrid.Store;

/// <summary>
/// A cell as the planner describes it. <paramref name="Key"/> is the content key made from everything in the
/// description, so the other fields can never change under the same key; <paramref name="Parameters"/> is JSON text.
/// <paramref name="Dependencies"/> are keys of cells already in the store whose results this one reads.
/// </summary>
public sealed record CellSpec(string Key, string Stage, string Kind, string Parameters, IReadOnlyList<string>? Dependencies = null)
{
    public IReadOnlyList<string> DependsOn => Dependencies ?? [];

    internal void Validate()
    {
        ContentHash.Require(Key, "cell key");
        if (string.IsNullOrWhiteSpace(Stage)) throw new StoreException($"cell {Key}: stage is empty");
        if (string.IsNullOrWhiteSpace(Kind)) throw new StoreException($"cell {Key}: kind is empty");
        Json.Require(Parameters, $"cell {Key}: parameters");
        var seen = new HashSet<string>();
        foreach (var dependency in DependsOn)
        {
            ContentHash.Require(dependency, $"cell {Key}: dependency key");
            if (dependency == Key) throw new StoreException($"cell {Key} depends on itself");
            if (!seen.Add(dependency)) throw new StoreException($"cell {Key} lists dependency {dependency} twice");
        }
    }
}

/// <summary>A cell as stored. Dependencies keep the planner's order; times are UTC.</summary>
public sealed record CellRecord(string Key, string Stage, string Kind, string Parameters, IReadOnlyList<string> Dependencies,
    CellState State, int Attempts, string? Error, string? Worker, DateTimeOffset Created, DateTimeOffset? Started,
    DateTimeOffset? Finished, TimeSpan? Duration);
