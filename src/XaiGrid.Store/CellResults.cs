namespace XaiGrid.Store;

/// <summary>
/// What a finished cell produced: named scalars (NaN and infinities allowed), small tables as JSON text, and
/// references to artifacts by hash. Scalars and tables share one namespace; artifact names have their own.
/// </summary>
public sealed record CellResults
{
    public IReadOnlyDictionary<string, double> Scalars { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, string> Tables { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();

    internal void Validate(string key)
    {
        foreach (var name in Scalars.Keys.Concat(Tables.Keys).Concat(Artifacts.Keys))
            if (string.IsNullOrWhiteSpace(name)) throw new StoreException($"cell {key}: a result has an empty name");
        foreach (var (name, json) in Tables)
        {
            if (Scalars.ContainsKey(name)) throw new StoreException($"cell {key}: result '{name}' is both a scalar and a table");
            Json.Require(json, $"cell {key}: table '{name}'");
        }
        foreach (var (name, hash) in Artifacts) ContentHash.Require(hash, $"cell {key}: artifact '{name}'");
    }
}

/// <summary>Whether a completion changed the store: a cell already done keeps its first results.</summary>
public enum CompletionStatus { Recorded, Duplicate }
