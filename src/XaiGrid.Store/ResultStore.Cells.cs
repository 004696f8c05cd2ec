using Microsoft.Data.Sqlite;

namespace XaiGrid.Store;

public sealed partial class ResultStore
{
    private const string CellSelect = """
        SELECT c.key, c.stage, c.kind, c.parameters,
            (SELECT json_group_array(d.dependency_key ORDER BY d.position) FROM cell_dependencies d WHERE d.cell_key = c.key),
            c.state, c.attempts, c.error, c.worker, c.created_ms, c.started_ms, c.finished_ms, c.duration_ms
        FROM cells c
        """;

    private const string InExperiment =
        "($experiment IS NULL OR EXISTS (SELECT 1 FROM experiment_cells e WHERE e.cell_key = c.key AND e.experiment_id = $experiment))";

    public CellState UpsertCell(long experimentId, CellSpec cell) => UpsertCells(experimentId, [cell])[0];

    /// <summary>
    /// Adds the cells the planner produced, in one transaction, and returns each one's state. A new key starts
    /// pending; a stored key keeps its state (a done cell is never reset), and its description must be the same,
    /// since a content key changes whenever what it describes does. Dependencies must already be stored.
    /// </summary>
    public IReadOnlyList<CellState> UpsertCells(long experimentId, IReadOnlyList<CellSpec> cells) => Upsert(experimentId, cells, replace: false);

    /// <summary>
    /// Makes <paramref name="cells"/> the experiment's whole plan: upserts them as <see cref="UpsertCells"/> does and, in
    /// the same transaction, unlinks the cells an earlier plan of it held and this one does not (a parameter changed), so
    /// its status and ready cells are those of the current plan. Unlinked cells stay stored with their results, for any
    /// plan that names them again.
    /// </summary>
    public IReadOnlyList<CellState> ReplaceCells(long experimentId, IReadOnlyList<CellSpec> cells) => Upsert(experimentId, cells, replace: true);

    private IReadOnlyList<CellState> Upsert(long experimentId, IReadOnlyList<CellSpec> cells, bool replace)
    {
        foreach (var cell in cells) cell.Validate();
        return Write(() =>
        {
            if (Scalar("SELECT 1 FROM experiments WHERE id = $id", ("$id", experimentId)) is null)
                throw new StoreException($"no experiment with id {experimentId} in {Path}");
            var states = new List<CellState>(cells.Count);
            foreach (var cell in cells)
            {
                states.Add(FindCell(cell.Key) is { } stored ? RequireSameDescription(stored, cell) : InsertCell(cell));
                Execute("INSERT OR IGNORE INTO experiment_cells (experiment_id, cell_key) VALUES ($experiment, $key)",
                    ("$experiment", experimentId), ("$key", cell.Key));
            }
            if (replace)
                Execute("DELETE FROM experiment_cells WHERE experiment_id = $experiment AND cell_key NOT IN (SELECT value FROM json_each($keys))",
                    ("$experiment", experimentId), ("$keys", System.Text.Json.JsonSerializer.Serialize(cells.Select(c => c.Key))));
            return (IReadOnlyList<CellState>)states;
        });
    }

    private static CellState RequireSameDescription(CellRecord stored, CellSpec cell)
    {
        void Same(string field, string was, string now)
        {
            if (was != now)
                throw new StoreException($"cell {cell.Key} is stored with {field} {was} but planned with {field} {now}: the same key must describe the same cell");
        }
        Same("stage", stored.Stage, cell.Stage);
        Same("kind", stored.Kind, cell.Kind);
        Same("parameters", stored.Parameters, cell.Parameters);
        Same("dependencies", string.Join(",", stored.Dependencies), string.Join(",", cell.DependsOn));
        return stored.State;
    }

    private CellState InsertCell(CellSpec cell)
    {
        foreach (var dependency in cell.DependsOn)
            if (Scalar("SELECT 1 FROM cells WHERE key = $key", ("$key", dependency)) is null)
                throw new StoreException($"cell {cell.Key} depends on {dependency}, which is not in the store: store dependencies before the cells that read them");
        Execute("""
            INSERT INTO cells (key, stage, kind, parameters, state, created_ms)
            VALUES ($key, $stage, $kind, $parameters, 'pending', $now)
            """, ("$key", cell.Key), ("$stage", cell.Stage), ("$kind", cell.Kind), ("$parameters", cell.Parameters), ("$now", NowMs()));
        for (int i = 0; i < cell.DependsOn.Count; i++)
            Execute("INSERT INTO cell_dependencies (cell_key, position, dependency_key) VALUES ($key, $position, $dependency)",
                ("$key", cell.Key), ("$position", i), ("$dependency", cell.DependsOn[i]));
        return CellState.Pending;
    }

    public CellRecord? FindCell(string key) =>
        Query(CellSelect + " WHERE c.key = $key", ReadCell, ("$key", key)).SingleOrDefault();

    public CellRecord GetCell(string key) => FindCell(key) ?? throw new StoreException($"no cell {key} in {Path}");

    /// <summary>Cells in planning order, optionally only those in a state, a stage or an experiment.</summary>
    public IReadOnlyList<CellRecord> Cells(CellState? state = null, string? stage = null, long? experimentId = null) =>
        Query(CellSelect + $"""
             WHERE ($state IS NULL OR c.state = $state) AND ($stage IS NULL OR c.stage = $stage) AND {InExperiment}
            ORDER BY c.rowid
            """, ReadCell, ("$state", state?.ToSql()), ("$stage", stage), ("$experiment", experimentId));

    private static CellRecord ReadCell(SqliteDataReader r) => new(
        Key: r.GetString(0),
        Stage: r.GetString(1),
        Kind: r.GetString(2),
        Parameters: r.GetString(3),
        Dependencies: System.Text.Json.JsonSerializer.Deserialize<string[]>(r.GetString(4))!,
        State: CellStates.Parse(r.GetString(5)),
        Attempts: r.GetInt32(6),
        Error: Text(r, 7),
        Worker: Text(r, 8),
        Created: Time(r.GetInt64(9)),
        Started: Time(r, 10),
        Finished: Time(r, 11),
        Duration: r.IsDBNull(12) ? null : TimeSpan.FromMilliseconds(r.GetInt64(12)));
}
