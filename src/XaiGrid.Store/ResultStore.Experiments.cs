namespace XaiGrid.Store;

public sealed partial class ResultStore
{
    private const string ExperimentColumns = "id, name, file_path, definition, definition_hash, created_ms, updated_ms";

    /// <summary>Records an experiment by name; re-planning it keeps its id and creation time and stores the current text.</summary>
    public Experiment UpsertExperiment(string name, string filePath, string definition)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new StoreException("experiment name is empty");
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(definition);
        return Write(() =>
        {
            long now = NowMs();
            Execute("""
                INSERT INTO experiments (name, file_path, definition, definition_hash, created_ms, updated_ms)
                VALUES ($name, $path, $definition, $hash, $now, $now)
                ON CONFLICT (name) DO UPDATE SET file_path = excluded.file_path, definition = excluded.definition,
                    definition_hash = excluded.definition_hash, updated_ms = excluded.updated_ms
                """, ("$name", name), ("$path", filePath), ("$definition", definition), ("$hash", ContentHash.Of(definition)), ("$now", now));
            return FindExperiment(name)!;
        });
    }

    public Experiment? FindExperiment(string name) =>
        Query($"SELECT {ExperimentColumns} FROM experiments WHERE name = $name", ReadExperiment, ("$name", name)).SingleOrDefault();

    public IReadOnlyList<Experiment> Experiments() => Query($"SELECT {ExperimentColumns} FROM experiments ORDER BY id", ReadExperiment);

    private static Experiment ReadExperiment(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), Time(r.GetInt64(5)), Time(r.GetInt64(6)));
}
