using XaiGrid.Orchestration.Actors;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>The outcome of a run: what the store holds for the experiment at the end, and whether it was interrupted.</summary>
public sealed record RunSummary(long ExperimentId, StoreStatus Status, bool Interrupted, int CellsPlanned);

/// <summary>
/// Runs an experiment: validates and plans it (nothing is written if the file is invalid), records the plan, then
/// lets the coordinator dispatch cells through a transport until every cell is done or failed. Cells a previous run
/// finished are not computed again; cells it left running (a killed process) or failed run again.
/// </summary>
public static class ExperimentRunner
{
    public static ExperimentPlan Plan(string experimentPath, IDataCatalog? catalog = null)
    {
        var definition = ExperimentLoader.Load(experimentPath);
        return new Planner(catalog ?? new DataSpecCatalog()).Plan(definition);
    }

    public static async Task<RunSummary> RunAsync(string experimentPath, ExperimentPlan plan, string databasePath, ICellTransport transport,
        CoordinatorOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new CoordinatorOptions();
        using var writer = ResultStore.Open(databasePath);
        using var reader = ResultStore.OpenReadOnly(databasePath);
        var failures = new List<ActorFailure>();
        await using var system = new ActorSystem(f => { lock (failures) failures.Add(f); }, _ => { });
        var sink = system.Spawn("result-sink", () => new ResultSink(writer));

        long experimentId = await sink.Ask<long>(reply => new SinkMessage.Plan(plan.Experiment, Path.GetFullPath(experimentPath),
            File.ReadAllText(experimentPath), plan.Cells.Select(c => c.ToStore()).ToList(), reply), cancel);
        options.Progress?.Invoke(reader.Status(experimentId));

        var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        ActorRef<CoordinatorMessage>? coordinator = null;
        coordinator = system.Spawn("coordinator",
            () => new Coordinator(experimentId, reader, sink, transport, options, () => coordinator!, finished));
        await transport.StartAsync(report => coordinator.Tell(new CoordinatorMessage.Reported(report)),
            started => coordinator.Tell(new CoordinatorMessage.Started(started)), cancel);
        coordinator.Tell(new CoordinatorMessage.Dispatch());

        bool interrupted = false;
        try
        {
            await finished.Task.WaitAsync(cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }
        lock (failures)
            if (failures.FirstOrDefault(f => f.Actor is "coordinator" or "result-sink") is { } f)
                throw new InvalidOperationException($"the {f.Actor} failed: {f.Exception.Message}", f.Exception);
        await coordinator.StopAsync(drain: false);
        await transport.DisposeAsync();
        return new RunSummary(experimentId, reader.Status(experimentId), interrupted, plan.Cells.Count);
    }
}
