using XaiGrid.Orchestration.Actors;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>Messages to the <see cref="ResultSink"/>.</summary>
public abstract record SinkMessage
{
    /// <summary>
    /// Records the experiment and makes the planned cells its plan (done cells stay done). Cells a dead process left
    /// running and cells that failed in an earlier run go back to pending: this run tries them again.
    /// </summary>
    public sealed record Plan(string Name, string FilePath, string Definition, IReadOnlyList<Store.CellSpec> Cells, Reply<long> Reply) : SinkMessage;

    /// <summary>Records an attempt starting; replies false when the cell is already done.</summary>
    public sealed record Started(string Key, string? Worker, Reply<bool> Reply) : SinkMessage;

    /// <summary>Records the worker that began a running cell, and when; replies false when the cell is not running.</summary>
    public sealed record StartedBy(string Key, string Worker, Reply<bool> Reply) : SinkMessage;

    /// <summary>Stores a report: results and artifacts, or the error. Replies how it was recorded.</summary>
    public sealed record Record(CellReport Report, Reply<CompletionStatus> Reply) : SinkMessage;

    /// <summary>Records a cell as failed without running it (a dependency failed).</summary>
    public sealed record Fail(string Key, string Error, Reply<CompletionStatus> Reply) : SinkMessage;
}

/// <summary>
/// The only writer to the result store (DESIGN.md §3): every state change of a run goes through this actor, one at a
/// time. A duplicate completion (a redelivered cell) is ignored by the store and reported as such.
/// </summary>
public sealed class ResultSink(ResultStore store) : Actor<SinkMessage>
{
    protected internal override Task HandleAsync(SinkMessage message, CancellationToken cancel)
    {
        switch (message)
        {
            case SinkMessage.Plan plan:
                Answer(plan.Reply, () =>
                {
                    var experiment = store.UpsertExperiment(plan.Name, plan.FilePath, plan.Definition);
                    store.ReplaceCells(experiment.Id, plan.Cells);
                    store.ResetRunning();
                    store.ResetFailed(experiment.Id);
                    return experiment.Id;
                });
                break;
            case SinkMessage.Started started:
                Answer(started.Reply, () => store.MarkRunning(started.Key, started.Worker));
                break;
            case SinkMessage.StartedBy startedBy:
                Answer(startedBy.Reply, () => store.MarkStartedBy(startedBy.Key, startedBy.Worker));
                break;
            case SinkMessage.Record record:
                Answer(record.Reply, () => Store(record.Report));
                break;
            case SinkMessage.Fail fail:
                Answer(fail.Reply, () => store.MarkFailed(fail.Key, fail.Error));
                break;
        }
        return Task.CompletedTask;
    }

    private CompletionStatus Store(CellReport report)
    {
        if (report.Output is not { } output) return store.MarkFailed(report.Key, report.Error ?? "unknown error", report.Worker);
        var artifacts = output.Artifacts.ToDictionary(a => a.Key, a => store.PutArtifact(a.Value.Bytes, a.Value.MediaType));
        var results = new CellResults { Scalars = output.Scalars, Tables = output.Tables, Artifacts = artifacts };
        return store.MarkDone(report.Key, results, report.Worker);
    }

    private static void Answer<T>(Reply<T> reply, Func<T> work)
    {
        try
        {
            reply.TrySetResult(work());
        }
        catch (Exception e)
        {
            reply.TrySetException(e);
        }
    }
}
