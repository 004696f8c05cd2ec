namespace XaiGrid.Store;

/// <summary>
/// A cell goes pending → running → done or failed; a failed cell may run again. Each attempt is an execution row,
/// so a cell's attempts equal its executions. Done is final: later starts are refused and later completions or
/// failures (a redelivered message, a slower second worker) leave its results as they are.
/// </summary>
public sealed partial class ResultStore
{
    private sealed record OpenExecution(long Id, long StartedMs, string? Worker);

    /// <summary>Records an attempt starting; false (and nothing recorded) when the cell is already done.</summary>
    public bool MarkRunning(string key, string? worker = null) => Write(() =>
    {
        if (StateOf(key) == CellState.Done) return false;
        long now = NowMs();
        // A worker runs a cell once at a time, so an attempt it still has open died with its previous life.
        if (worker is not null)
            Execute("""
                UPDATE executions SET finished_ms = $now, outcome = 'interrupted'
                WHERE cell_key = $key AND worker = $worker AND finished_ms IS NULL
                """, ("$now", now), ("$key", key), ("$worker", worker));
        Execute("INSERT INTO executions (cell_key, worker, started_ms) VALUES ($key, $worker, $now)",
            ("$key", key), ("$worker", worker), ("$now", now));
        Execute("""
            UPDATE cells SET state = 'running', attempts = attempts + 1, worker = $worker, error = NULL,
                started_ms = $now, finished_ms = NULL, duration_ms = NULL
            WHERE key = $key
            """, ("$worker", worker), ("$now", now), ("$key", key));
        return true;
    });

    /// <summary>
    /// Records that <paramref name="worker"/> began a running cell now: its open attempt is timed from here, not from
    /// when the coordinator sent it (in cluster mode a cell may wait in the broker's queue first). False, and nothing
    /// recorded, when the cell is not running.
    /// </summary>
    public bool MarkStartedBy(string key, string worker) => Write(() =>
    {
        if (StateOf(key) != CellState.Running) return false;
        long now = NowMs();
        Execute("""
            UPDATE executions SET worker = $worker, started_ms = $now
            WHERE id = (SELECT max(id) FROM executions WHERE cell_key = $key AND finished_ms IS NULL)
            """, ("$worker", worker), ("$now", now), ("$key", key));
        Execute("UPDATE cells SET worker = $worker, started_ms = $now WHERE key = $key", ("$worker", worker), ("$now", now), ("$key", key));
        return true;
    });

    /// <summary>
    /// Stores a cell's results and marks it done, in one transaction. If the cell is already done nothing changes
    /// and <see cref="CompletionStatus.Duplicate"/> is returned. Referenced artifacts must already be stored.
    /// </summary>
    public CompletionStatus MarkDone(string key, CellResults results, string? worker = null)
    {
        results.Validate(key);
        return Write(() =>
        {
            var state = StateOf(key);
            long now = NowMs();
            var execution = Finish(key, worker, ExecutionOutcome.Ok, error: null, now, recordIfNone: state != CellState.Done);
            if (state == CellState.Done) return CompletionStatus.Duplicate;
            foreach (var (name, hash) in results.Artifacts)
                if (Scalar("SELECT 1 FROM artifacts WHERE hash = $hash", ("$hash", hash)) is null)
                    throw new StoreException($"cell {key}: artifact '{name}' refers to {hash}, which is not in the store: put the artifact before the result");
            foreach (var (name, value) in results.Scalars)
                Execute("INSERT INTO results (cell_key, name, kind, number) VALUES ($key, $name, 'scalar', $number)",
                    ("$key", key), ("$name", name), ("$number", double.IsNaN(value) ? null : value));
            foreach (var (name, json) in results.Tables)
                Execute("INSERT INTO results (cell_key, name, kind, json) VALUES ($key, $name, 'table', $json)",
                    ("$key", key), ("$name", name), ("$json", json));
            foreach (var (name, hash) in results.Artifacts)
                Execute("INSERT INTO artifact_refs (cell_key, name, artifact_hash) VALUES ($key, $name, $hash)",
                    ("$key", key), ("$name", name), ("$hash", hash));
            SetFinished(key, CellState.Done, error: null, execution!, now);
            return CompletionStatus.Recorded;
        });
    }

    /// <summary>Marks a cell failed with its error; a cell already done stays done (<see cref="CompletionStatus.Duplicate"/>).</summary>
    public CompletionStatus MarkFailed(string key, string error, string? worker = null)
    {
        if (string.IsNullOrWhiteSpace(error)) throw new StoreException($"cell {key}: a failure needs an error message");
        return Write(() =>
        {
            var state = StateOf(key);
            long now = NowMs();
            var execution = Finish(key, worker, ExecutionOutcome.Error, error, now, recordIfNone: state != CellState.Done);
            if (state == CellState.Done) return CompletionStatus.Duplicate;
            SetFinished(key, CellState.Failed, error, execution!, now);
            return CompletionStatus.Recorded;
        });
    }

    /// <summary>
    /// For a coordinator starting over: cells a dead process left running go back to pending and their open
    /// executions are closed as interrupted. Returns how many cells were reset.
    /// </summary>
    public int ResetRunning() => Write(() =>
    {
        Execute("UPDATE executions SET finished_ms = $now, outcome = 'interrupted' WHERE finished_ms IS NULL", ("$now", NowMs()));
        return Execute("UPDATE cells SET state = 'pending', worker = NULL, started_ms = NULL WHERE state = 'running'");
    });

    /// <summary>
    /// For a new run of an experiment: its failed cells (failed themselves, or because a dependency did) go back to
    /// pending, so the run tries them again; their failed attempts stay in the executions. Returns how many were reset.
    /// </summary>
    public int ResetFailed(long experimentId) => Write(() => Execute("""
        UPDATE cells SET state = 'pending', error = NULL, worker = NULL, started_ms = NULL, finished_ms = NULL, duration_ms = NULL
        WHERE state = 'failed' AND key IN (SELECT cell_key FROM experiment_cells WHERE experiment_id = $experiment)
        """, ("$experiment", experimentId)));

    public IReadOnlyList<Execution> Executions(string key) => Query("""
        SELECT id, cell_key, worker, started_ms, finished_ms, outcome, error FROM executions WHERE cell_key = $key ORDER BY id
        """, r => new Execution(r.GetInt64(0), r.GetString(1), Text(r, 2), Time(r.GetInt64(3)), Time(r, 4),
            r.IsDBNull(5) ? null : ExecutionOutcomes.Parse(r.GetString(5)), Text(r, 6)), ("$key", key));

    /// <summary>
    /// The results of a done cell (empty for any other); NaN scalars come back as NaN. Without
    /// <paramref name="tables"/>, only scalars and artifacts (what a dependent cell needs, and cheap to read).
    /// </summary>
    public CellResults Results(string key, bool tables = true) => Read(() =>
    {
        StateOf(key);
        var scalars = new Dictionary<string, double>();
        var tableJson = new Dictionary<string, string>();
        string which = tables ? "" : " AND json IS NULL";
        foreach (var (name, number, json) in Query($"SELECT name, number, json FROM results WHERE cell_key = $key{which} ORDER BY name",
                     r => (r.GetString(0), r.IsDBNull(1) ? double.NaN : r.GetDouble(1), Text(r, 2)), ("$key", key)))
        {
            if (json is null) scalars[name] = number;
            else tableJson[name] = json;
        }
        var artifacts = Query("SELECT name, artifact_hash FROM artifact_refs WHERE cell_key = $key ORDER BY name",
            r => (r.GetString(0), r.GetString(1)), ("$key", key)).ToDictionary(p => p.Item1, p => p.Item2);
        return new CellResults { Scalars = scalars, Tables = tableJson, Artifacts = artifacts };
    });

    private CellState StateOf(string key)
    {
        ContentHash.Require(key, "cell key");
        var state = Scalar("SELECT state FROM cells WHERE key = $key", ("$key", key));
        return state is null ? throw new StoreException($"no cell {key} in {Path}") : CellStates.Parse((string)state);
    }

    /// <summary>
    /// Closes the attempt this report belongs to (the worker's own open one, else the latest open one). When none is
    /// open the attempt was never reported as started, so it is recorded now, unless the cell is already done and
    /// the report merely repeats one already counted.
    /// </summary>
    private OpenExecution? Finish(string key, string? worker, ExecutionOutcome outcome, string? error, long now, bool recordIfNone)
    {
        var open = Query("""
            SELECT id, started_ms, worker FROM executions WHERE cell_key = $key AND finished_ms IS NULL
            ORDER BY (worker IS $worker) DESC, id DESC LIMIT 1
            """, r => new OpenExecution(r.GetInt64(0), r.GetInt64(1), Text(r, 2)), ("$key", key), ("$worker", worker)).SingleOrDefault();
        if (open is not null)
        {
            Execute("""
                UPDATE executions SET finished_ms = $now, outcome = $outcome, error = $error, worker = coalesce(worker, $worker)
                WHERE id = $id
                """, ("$now", now), ("$outcome", outcome.ToSql()), ("$error", error), ("$worker", worker), ("$id", open.Id));
            return open with { Worker = open.Worker ?? worker };
        }
        if (!recordIfNone) return null;
        long id = (long)Scalar("""
            INSERT INTO executions (cell_key, worker, started_ms, finished_ms, outcome, error)
            VALUES ($key, $worker, $now, $now, $outcome, $error) RETURNING id
            """, ("$key", key), ("$worker", worker), ("$now", now), ("$outcome", outcome.ToSql()), ("$error", error))!;
        Execute("UPDATE cells SET attempts = attempts + 1 WHERE key = $key", ("$key", key));
        return new OpenExecution(id, now, worker);
    }

    private void SetFinished(string key, CellState state, string? error, OpenExecution execution, long now)
    {
        Execute("""
            UPDATE cells SET state = $state, error = $error, worker = $worker, started_ms = $started, finished_ms = $now,
                duration_ms = $now - $started
            WHERE key = $key
            """, ("$state", state.ToSql()), ("$error", error), ("$worker", execution.Worker), ("$started", execution.StartedMs),
            ("$now", now), ("$key", key));
    }
}
