using Akka.Actor;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>
/// The only writer to the result store (DESIGN.md §3): every state change of a run goes through this actor, one at a
/// time, on a thread of its own (xaigrid.store-dispatcher: the store's calls block). A duplicate completion (a cell that another
/// worker finished first) is ignored by the store and reported as such.
/// </summary>
public sealed class ResultSink : ReceiveActor
{
    /// <summary>
    /// Records the experiment and makes the planned cells its plan (done cells stay done). Cells a dead process left
    /// running and cells that failed in an earlier run go back to pending: this run tries them again. Answered with
    /// <see cref="Planned"/>.
    /// </summary>
    public sealed record Plan(string Name, string FilePath, string Definition, IReadOnlyList<Store.CellSpec> Cells);

    public sealed record Planned(long ExperimentId);

    /// <summary>Records an attempt starting on a worker. Not answered: a cell done meanwhile stays done whatever comes.</summary>
    public sealed record Started(string Key, string Worker);

    /// <summary>
    /// Stores a finished cell's artifacts (inline, or from the spool files an upload wrote, by artifact name) and
    /// results. Answered with <see cref="Recorded"/>; a result whose bytes do not match their hashes is recorded as a
    /// failed attempt instead.
    /// </summary>
    public sealed record Record(CellCompleted Completed, IReadOnlyDictionary<string, string>? Spooled);

    /// <summary>Records a failed attempt (the cell threw, its worker was lost, it took too long); answered with <see cref="Recorded"/>.</summary>
    public sealed record RecordFailure(string Key, string Worker, string Error);

    /// <summary>
    /// How a record went: <paramref name="Done"/> when the cell is done now (recorded now or before); with the results
    /// recorded now (no tables: what dependent cells read), or null.
    /// </summary>
    public sealed record Recorded(string Key, bool Done, CompletionStatus Status, CellResults? Results = null);

    /// <summary>
    /// The run is over: cells still pending wait on a failed cell, and are recorded failed naming it. Answered with
    /// <see cref="BlockedFailed"/> and the number of cells so recorded.
    /// </summary>
    public sealed record FailBlocked(long ExperimentId);

    public sealed record BlockedFailed(int Cells);

    private readonly ResultStore store;

    public ResultSink(ResultStore store)
    {
        this.store = store;
        Receive<Plan>(plan =>
        {
            var experiment = store.UpsertExperiment(plan.Name, plan.FilePath, plan.Definition);
            store.ReplaceCells(experiment.Id, plan.Cells);
            store.ResetRunning();
            store.ResetFailed(experiment.Id);
            Sender.Tell(new Planned(experiment.Id));
        });
        Receive<Started>(started => store.MarkRunning(started.Key, started.Worker));
        Receive<Record>(record => Sender.Tell(Store(record)));
        Receive<RecordFailure>(failure =>
            Sender.Tell(new Recorded(failure.Key, false, store.MarkFailed(failure.Key, failure.Error, failure.Worker))));
        Receive<FailBlocked>(blocked => Sender.Tell(new BlockedFailed(FailDependents(blocked.ExperimentId))));
    }

    public static Props Props(ResultStore store) => Akka.Actor.Props.Create(() => new ResultSink(store)).WithDispatcher("xaigrid.store-dispatcher");

    private Recorded Store(Record record)
    {
        var completed = record.Completed;
        var artifacts = new Dictionary<string, string>();
        try
        {
            foreach (var artifact in completed.Artifacts)
            {
                if (artifact.Bytes is { } bytes)
                {
                    artifacts[artifact.Name] = store.PutArtifact(bytes, artifact.MediaType, artifact.Hash);
                    continue;
                }
                var spooled = record.Spooled?.GetValueOrDefault(artifact.Name)
                    ?? throw new InvalidDataException($"artifact '{artifact.Name}' was neither sent nor uploaded");
                // From its spool file in pieces: an uploaded artifact is never whole in the coordinator's memory.
                using var file = new FileStream(spooled, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                artifacts[artifact.Name] = store.PutArtifact(file, artifact.MediaType, artifact.Hash);
            }
        }
        catch (Exception e) when (e is StoreException or InvalidDataException or IOException)
        {
            var error = $"result not stored: {e.Message}";
            return new Recorded(completed.Key, false, store.MarkFailed(completed.Key, error, completed.Worker));
        }
        finally
        {
            foreach (var file in record.Spooled?.Values ?? []) File.Delete(file);
        }
        var results = new CellResults { Scalars = completed.Scalars, Tables = completed.Tables, Artifacts = artifacts };
        var status = store.MarkDone(completed.Key, results, completed.Worker);
        return new Recorded(completed.Key, true, status,
            status == CompletionStatus.Recorded ? new CellResults { Scalars = completed.Scalars, Artifacts = artifacts } : null);
    }

    private int FailDependents(long experimentId)
    {
        int failed = 0;
        bool changed;
        do
        {
            changed = false;
            foreach (var cell in store.Cells(CellState.Pending, experimentId: experimentId))
            {
                var dependency = cell.Dependencies.Select(store.GetCell).FirstOrDefault(d => d.State == CellState.Failed);
                if (dependency is null) continue;
                store.MarkFailed(cell.Key, $"not run: it depends on {dependency.Kind} cell {dependency.Key[..12]}, which failed");
                failed++;
                changed = true;
            }
        } while (changed);
        return failed;
    }
}
