using LiteDB;
using static XaiGrid.Store.Documents;

namespace XaiGrid.Store;

/// <summary>
/// A cell goes pending → running → done or failed; a failed cell may run again. Each attempt is an execution document,
/// so a cell's attempts equal its executions. Done is final: later starts are refused and later completions or
/// failures (a redelivered message, a slower second worker) leave its results as they are. A done cell's results are
/// one document keyed by the cell's key, written in the transaction that marks it done.
/// </summary>
public sealed partial class ResultStore
{
    private sealed record OpenExecution(long StartedMs, string? Worker);

    private static ILiteCollection<BsonDocument> Executions(LiteDatabase database) => database.GetCollection(Schema.Executions, BsonAutoId.Int64);

    private static ILiteCollection<BsonDocument> Results(LiteDatabase database) => database.GetCollection(Schema.Results);

    /// <summary>Records an attempt starting; false (and nothing recorded) when the cell is already done.</summary>
    public bool MarkRunning(string key, string? worker = null) => Write(database =>
    {
        var cell = RequireCell(database, key);
        if (StateOf(cell) == CellState.Done) return false;
        long now = NowMs();
        var executions = Executions(database);
        // A worker runs a cell once at a time, so an attempt it still has open died with its previous life.
        if (worker is not null)
            foreach (var open in OpenExecutions(executions, key).Where(e => WorkerOf(e) == worker))
            {
                open["finished"] = now;
                open["outcome"] = ExecutionOutcome.Interrupted.ToText();
                executions.Update(open);
            }
        executions.Insert(NewExecution(key, worker, now));
        cell["state"] = CellState.Running.ToText();
        cell["attempts"] = Integer(cell, "attempts", CellWhat(key)) + 1;
        cell["worker"] = Value(worker);
        cell["error"] = BsonValue.Null;
        cell["started"] = now;
        cell["finished"] = BsonValue.Null;
        cell["duration"] = BsonValue.Null;
        Cells(database).Update(cell);
        return true;
    });

    /// <summary>
    /// Records that <paramref name="worker"/> began a running cell now: its open attempt is timed from here, not from
    /// when the coordinator sent it (in cluster mode a cell may wait in the broker's queue first). False, and nothing
    /// recorded, when the cell is not running.
    /// </summary>
    public bool MarkStartedBy(string key, string worker) => Write(database =>
    {
        var cell = RequireCell(database, key);
        if (StateOf(cell) != CellState.Running) return false;
        long now = NowMs();
        var executions = Executions(database);
        if (OpenExecutions(executions, key).LastOrDefault() is { } open)
        {
            open["worker"] = worker;
            open["started"] = now;
            executions.Update(open);
        }
        cell["worker"] = worker;
        cell["started"] = now;
        Cells(database).Update(cell);
        return true;
    });

    /// <summary>
    /// Stores a cell's results and marks it done, in one transaction. If the cell is already done nothing changes
    /// and <see cref="CompletionStatus.Duplicate"/> is returned. Referenced artifacts must already be stored.
    /// </summary>
    public CompletionStatus MarkDone(string key, CellResults results, string? worker = null)
    {
        results.Validate(key);
        return Write(database =>
        {
            var cell = RequireCell(database, key);
            var state = StateOf(cell);
            long now = NowMs();
            var execution = Finish(database, cell, state, worker, ExecutionOutcome.Ok, error: null, now);
            if (state == CellState.Done) return CompletionStatus.Duplicate;
            var artifacts = Artifacts(database);
            foreach (var (name, hash) in results.Artifacts)
                if (!artifacts.Exists(hash))
                    throw new StoreException($"cell {key}: artifact '{name}' refers to {hash}, which is not in the store: put the artifact before the result");
            // A cell's results are written once, when it becomes done, which is final.
            Results(database).Insert(new BsonDocument
            {
                ["_id"] = key,
                ["scalars"] = Entries(results.Scalars, v => new BsonValue(v)),
                ["tables"] = Entries(results.Tables, v => new BsonValue(v)),
                ["artifacts"] = Entries(results.Artifacts, v => new BsonValue(v)),
            });
            SetFinished(database, cell, CellState.Done, error: null, execution!, now);
            return CompletionStatus.Recorded;
        });
    }

    /// <summary>Named values as [{name, value}] in name order: names are free text, never field names.</summary>
    private static BsonArray Entries<T>(IReadOnlyDictionary<string, T> values, Func<T, BsonValue> value) =>
        new(values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new BsonDocument { ["name"] = p.Key, ["value"] = value(p.Value) }));

    /// <summary>Marks a cell failed with its error; a cell already done stays done (<see cref="CompletionStatus.Duplicate"/>).</summary>
    public CompletionStatus MarkFailed(string key, string error, string? worker = null)
    {
        if (string.IsNullOrWhiteSpace(error)) throw new StoreException($"cell {key}: a failure needs an error message");
        return Write(database =>
        {
            var cell = RequireCell(database, key);
            var state = StateOf(cell);
            long now = NowMs();
            var execution = Finish(database, cell, state, worker, ExecutionOutcome.Error, error, now);
            if (state == CellState.Done) return CompletionStatus.Duplicate;
            SetFinished(database, cell, CellState.Failed, error, execution!, now);
            return CompletionStatus.Recorded;
        });
    }

    /// <summary>
    /// For a coordinator starting over: cells a dead process left running go back to pending and their open
    /// executions are closed as interrupted. Returns how many cells were reset.
    /// </summary>
    public int ResetRunning() => Write(database =>
    {
        long now = NowMs();
        var executions = Executions(database);
        foreach (var open in executions.Find(Equal("finished", BsonValue.Null)).ToList())
        {
            open["finished"] = now;
            open["outcome"] = ExecutionOutcome.Interrupted.ToText();
            executions.Update(open);
        }
        return Reset(database, c => c.State == CellState.Running, clearOutcome: false);
    });

    /// <summary>
    /// For a new run of an experiment: its failed cells (failed themselves, or because a dependency did) go back to
    /// pending, so the run tries them again; their failed attempts stay in the executions. Returns how many were reset.
    /// </summary>
    public int ResetFailed(long experimentId) => Write(database =>
        Reset(database, c => c.State == CellState.Failed && c.Experiments.Contains(experimentId), clearOutcome: true));

    private int Reset(LiteDatabase database, Func<StoredCell, bool> which, bool clearOutcome)
    {
        var cells = Cells(database);
        int count = 0;
        foreach (var document in cells.FindAll().ToList())
        {
            if (!which(ReadCell(document))) continue;
            document["state"] = CellState.Pending.ToText();
            document["worker"] = BsonValue.Null;
            document["started"] = BsonValue.Null;
            if (clearOutcome)
            {
                document["error"] = BsonValue.Null;
                document["finished"] = BsonValue.Null;
                document["duration"] = BsonValue.Null;
            }
            cells.Update(document);
            count++;
        }
        return count;
    }

    public IReadOnlyList<Execution> Executions(string key) =>
        Read(database => Executions(database).Find(Equal("cell", key)).Select(ReadExecution).OrderBy(e => e.Id).ToList());

    /// <summary>
    /// The results of a done cell (empty for any other); NaN scalars come back as NaN. Without
    /// <paramref name="tables"/>, only scalars and artifacts (what a dependent cell needs, and cheap to read: LiteDB
    /// skips the tables' bytes).
    /// </summary>
    public CellResults Results(string key, bool tables = true) => Read(database =>
    {
        ContentHash.Require(key, "cell key");
        var document = Results(database).Query().Where(Equal("_id", key))
            .Select(tables ? "$" : "{_id: $._id, scalars: $.scalars, artifacts: $.artifacts}").FirstOrDefault();
        if (document is null)
        {
            RequireCell(database, key);
            return new CellResults();
        }
        string what = $"results of cell {key} in {Path}";
        Dictionary<string, TValue> Named<TValue>(string field, Func<BsonDocument, string, TValue> value) =>
            DocumentsIn(document, field, what).ToDictionary(e => Text(e, "name", what), e => value(e, "value"));
        return new CellResults
        {
            Scalars = Named("scalars", (e, f) => Number(e, f, what)),
            Tables = tables ? Named("tables", (e, f) => Text(e, f, what)) : new Dictionary<string, string>(),
            Artifacts = Named("artifacts", (e, f) => Text(e, f, what)),
        };
    });

    private BsonDocument RequireCell(LiteDatabase database, string key)
    {
        ContentHash.Require(key, "cell key");
        return Cells(database).FindById(key) ?? throw new StoreException($"no cell {key} in {Path}");
    }

    private CellState StateOf(BsonDocument cell)
    {
        string what = CellWhat(Text(cell, "_id", $"a cell in {Path}"));
        return CellStates.Parse(Text(cell, "state", what), what);
    }

    private static BsonDocument NewExecution(string key, string? worker, long started) => new()
    {
        ["cell"] = key,
        ["worker"] = Value(worker),
        ["started"] = started,
        ["finished"] = BsonValue.Null,
        ["outcome"] = BsonValue.Null,
        ["error"] = BsonValue.Null,
    };

    private static string? WorkerOf(BsonDocument execution) => execution["worker"] is { IsString: true } worker ? worker.AsString : null;

    /// <summary>A cell's open executions, oldest first (a cell two workers ran may have one open after it is done).</summary>
    private static List<BsonDocument> OpenExecutions(ILiteCollection<BsonDocument> executions, string key) =>
        executions.Find(Equal("cell", key)).Where(e => e["finished"].IsNull).OrderBy(e => e["_id"].AsInt64).ToList();

    /// <summary>
    /// Closes the attempt this report belongs to (the worker's own open one, else the latest open one). When none is
    /// open the attempt was never reported as started, so it is recorded now, unless the cell is already done and
    /// the report merely repeats one already counted. The cell's attempts change in <paramref name="cell"/>, for the
    /// caller to store.
    /// </summary>
    private OpenExecution? Finish(LiteDatabase database, BsonDocument cell, CellState state, string? worker, ExecutionOutcome outcome, string? error,
        long now)
    {
        string key = cell["_id"].AsString, what = CellWhat(key);
        var executions = Executions(database);
        var open = OpenExecutions(executions, key);
        if ((open.LastOrDefault(e => WorkerOf(e) == worker) ?? open.LastOrDefault()) is { } own)
        {
            var execution = new OpenExecution(Integer(own, "started", what), OptionalText(own, "worker", what) ?? worker);
            own["finished"] = now;
            own["outcome"] = outcome.ToText();
            own["error"] = Value(error);
            own["worker"] = Value(execution.Worker);
            executions.Update(own);
            return execution;
        }
        if (state == CellState.Done) return null;
        var recorded = NewExecution(key, worker, now);
        recorded["finished"] = now;
        recorded["outcome"] = outcome.ToText();
        recorded["error"] = Value(error);
        executions.Insert(recorded);
        cell["attempts"] = Integer(cell, "attempts", what) + 1;
        return new OpenExecution(now, worker);
    }

    private static void SetFinished(LiteDatabase database, BsonDocument cell, CellState state, string? error, OpenExecution execution, long now)
    {
        cell["state"] = state.ToText();
        cell["error"] = Value(error);
        cell["worker"] = Value(execution.Worker);
        cell["started"] = execution.StartedMs;
        cell["finished"] = now;
        cell["duration"] = now - execution.StartedMs;
        Cells(database).Update(cell);
    }

    private Execution ReadExecution(BsonDocument document)
    {
        string what = $"an execution in {Path}";
        return new Execution(Integer(document, "_id", what), Text(document, "cell", what), OptionalText(document, "worker", what),
            Time(document, "started", what), OptionalTime(document, "finished", what),
            OptionalText(document, "outcome", what) is { } outcome ? ExecutionOutcomes.Parse(outcome, what) : null, OptionalText(document, "error", what));
    }
}
