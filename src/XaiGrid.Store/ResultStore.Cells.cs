using LiteDB;
using static XaiGrid.Store.Documents;

namespace XaiGrid.Store;

/// <summary>
/// A cell is one document keyed by its content key: its description (stage, kind, parameters as JSON text, the keys of
/// its dependencies in the planner's order), <c>seq</c> (its place in planning order), the ids of the experiments whose
/// plans hold it, and its progress (state, attempts, error, worker, times in unix milliseconds).
/// </summary>
public sealed partial class ResultStore
{
    private static ILiteCollection<BsonDocument> Cells(LiteDatabase database) => database.GetCollection(Schema.Cells);

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
        return Write(database =>
        {
            if (Experiments(database).FindById(experimentId) is null) throw new StoreException($"no experiment with id {experimentId} in {Path}");
            var collection = Cells(database);
            long next = collection.Find(Query.All("$.seq", Query.Descending), limit: 1).FirstOrDefault() is { } last
                ? ReadCell(last).Seq + 1
                : 0;
            var states = new List<CellState>(cells.Count);
            foreach (var cell in cells)
            {
                var stored = collection.FindById(cell.Key);
                if (stored is null)
                {
                    InsertCell(collection, cell, experimentId, next++);
                    states.Add(CellState.Pending);
                    continue;
                }
                states.Add(RequireSameDescription(ReadCell(stored).Record, cell));
                var experiments = Array(stored, "experiments", CellWhat(cell.Key));
                if (!experiments.Contains(experimentId))
                {
                    experiments.Add(experimentId);
                    collection.Update(stored);
                }
            }
            if (replace)
            {
                var planned = cells.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
                foreach (var document in collection.FindAll().ToList())
                {
                    var stale = ReadCell(document);
                    if (planned.Contains(stale.Record.Key) || !stale.Experiments.Contains(experimentId)) continue;
                    document["experiments"] = new BsonArray(stale.Experiments.Where(e => e != experimentId).Select(e => new BsonValue(e)));
                    collection.Update(document);
                }
            }
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

    private void InsertCell(ILiteCollection<BsonDocument> collection, CellSpec cell, long experimentId, long seq)
    {
        foreach (var dependency in cell.DependsOn)
            if (collection.FindById(dependency) is null)
                throw new StoreException($"cell {cell.Key} depends on {dependency}, which is not in the store: store dependencies before the cells that read them");
        collection.Insert(new BsonDocument
        {
            ["_id"] = cell.Key,
            ["seq"] = seq,
            ["stage"] = cell.Stage,
            ["kind"] = cell.Kind,
            ["parameters"] = cell.Parameters,
            ["dependencies"] = new BsonArray(cell.DependsOn.Select(d => new BsonValue(d))),
            ["experiments"] = new BsonArray { experimentId },
            ["state"] = CellState.Pending.ToText(),
            ["attempts"] = 0,
            ["error"] = BsonValue.Null,
            ["worker"] = BsonValue.Null,
            ["created"] = NowMs(),
            ["started"] = BsonValue.Null,
            ["finished"] = BsonValue.Null,
            ["duration"] = BsonValue.Null,
        });
    }

    public CellRecord? FindCell(string key) => Read(database => Cells(database).FindById(key) is { } document ? ReadCell(document).Record : null);

    public CellRecord GetCell(string key) => FindCell(key) ?? throw new StoreException($"no cell {key} in {Path}");

    /// <summary>Cells in planning order, optionally only those in a state, a stage or an experiment.</summary>
    public IReadOnlyList<CellRecord> Cells(CellState? state = null, string? stage = null, long? experimentId = null) => Read(database =>
        Cells(database).Find(Query.All("$.seq")).Select(ReadCell)
            .Where(c => (state is null || c.State == state) && (stage is null || c.Stage == stage))
            .Where(c => experimentId is null || c.Experiments.Contains(experimentId.Value))
            .Select(c => c.Record)
            .ToList());

    private string CellWhat(string key) => $"cell {key} in {Path}";

    /// <summary>A stored cell with what only the store needs: its experiments and place in planning order.</summary>
    private sealed record StoredCell(CellRecord Record, IReadOnlyList<long> Experiments, long Seq)
    {
        public CellState State => Record.State;
        public string Stage => Record.Stage;
    }

    private StoredCell ReadCell(BsonDocument document)
    {
        string key = Text(document, "_id", $"a cell in {Path}"), what = CellWhat(key);
        var record = new CellRecord(
            Key: key,
            Stage: Text(document, "stage", what),
            Kind: Text(document, "kind", what),
            Parameters: Text(document, "parameters", what),
            Dependencies: TextsIn(document, "dependencies", what).ToArray(),
            State: CellStates.Parse(Text(document, "state", what), what),
            Attempts: (int)Integer(document, "attempts", what),
            Error: OptionalText(document, "error", what),
            Worker: OptionalText(document, "worker", what),
            Created: Time(document, "created", what),
            Started: OptionalTime(document, "started", what),
            Finished: OptionalTime(document, "finished", what),
            Duration: OptionalInteger(document, "duration", what) is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        var experiments = Array(document, "experiments", what)
            .Select(e => e.IsInt64 || e.IsInt32 ? e.AsInt64 : throw new StoreException($"{what}: field 'experiments' should hold experiment ids")).ToList();
        return new StoredCell(record, experiments, Integer(document, "seq", what));
    }
}
