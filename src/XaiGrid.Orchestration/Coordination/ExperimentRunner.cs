using Akka.Actor;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>The outcome of a run: what the store holds for the experiment at the end, and whether it was interrupted.</summary>
public sealed record RunSummary(long ExperimentId, StoreStatus Status, bool Interrupted, int CellsPlanned);

/// <summary>
/// Runs an experiment: validates and plans it (nothing is written if the file is invalid), records the plan through the
/// result sink, then lets the coordinator hand cells to workers until every cell is done or failed. Cells a previous
/// run finished are not computed again; cells it left running (a killed process) or failed run again. In one process
/// (<see cref="LocalWorkers"/>) one actor system holds the result sink, the coordinator and the worker pool; in cluster
/// mode (<see cref="Cluster.ClusterCoordinator"/>) the workers are other nodes.
/// </summary>
public static class ExperimentRunner
{
    public static ExperimentPlan Plan(string experimentPath, IDataCatalog? catalog = null)
    {
        var definition = ExperimentLoader.Load(experimentPath);
        return new Planner(catalog ?? new DataSpecCatalog()).Plan(definition);
    }

    /// <summary>Everything in this process: <paramref name="workers"/> cell workers beside the coordinator.</summary>
    public static Task<RunSummary> RunAsync(string experimentPath, ExperimentPlan plan, string databasePath, LocalWorkers workers,
        CoordinatorOptions? options = null, CancellationToken cancel = default) =>
        RunAsync(experimentPath, plan, databasePath, options, cancel, new RunHost(
            ActorSystems.Local(),
            Attach: async (coordinator, spawn, cells) => await spawn(workers.Props(coordinator, databasePath, cells), "workers"),
            Stop: system => system.Terminate()));

    /// <summary>What differs between one process and a cluster's coordinator node.</summary>
    /// <param name="Attach">Starts what serves the coordinator (local workers, the artifact server) once it runs.</param>
    /// <param name="Stop">Ends the system once the run is over (in a cluster, by leaving it first).</param>
    internal sealed record RunHost(
        ActorSystem System,
        Func<IActorRef, Func<Props, string, Task<IActorRef>>, CancellationToken, Task> Attach,
        Func<ActorSystem, Task> Stop,
        string ArtifactsPath = "",
        Func<CellCompleted, Props>? Uploads = null,
        Func<Address, bool>? Admits = null);

    private static async Task StopCoordinator(IActorRef? coordinator)
    {
        if (coordinator is null) return;
        try
        {
            await coordinator.GracefulStop(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is TaskCanceledException or AskTimeoutException)
        {
            // Stopping the system stops it all the same.
        }
    }

    internal static async Task<RunSummary> RunAsync(string experimentPath, ExperimentPlan plan, string databasePath,
        CoordinatorOptions? options, CancellationToken cancel, RunHost host)
    {
        options ??= new CoordinatorOptions();
        var system = host.System;
        long experimentId = 0;
        bool interrupted = false;
        ResultStore? writer = null, reader = null;
        IActorRef? coordinator = null;
        using var cells = new CancellationTokenSource();
        var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            writer = ResultStore.Open(databasePath);
            reader = ResultStore.OpenReadOnly(databasePath);
            var run = system.ActorOf(Props.Create(() => new RunSupervisor(finished)), "run");
            async Task<IActorRef> Spawn(Props props, string name) => await run.Ask<IActorRef>(new RunSupervisor.Spawn(props, name));

            var sink = await Spawn(ResultSink.Props(writer), "result-sink");
            var planned = await sink.Ask<ResultSink.Planned>(new ResultSink.Plan(plan.Experiment, Path.GetFullPath(experimentPath),
                File.ReadAllText(experimentPath), plan.Cells.Select(c => c.ToStore()).ToList()), cancel);
            experimentId = planned.ExperimentId;
            options.Progress?.Invoke(reader.Status(experimentId));

            coordinator = await Spawn(Coordinator.Props(experimentId, plan.Experiment, reader, sink, options, finished,
                host.ArtifactsPath, host.Uploads, host.Admits), "coordinator");
            await host.Attach(coordinator, Spawn, cells.Token);
            try
            {
                await finished.Task.WaitAsync(cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                interrupted = true;
            }
        }
        catch
        {
            await cells.CancelAsync();
            await StopCoordinator(coordinator);
            await host.Stop(system);
            reader?.Dispose();
            writer?.Dispose();
            throw;
        }
        // The running cells stop at their next check: whatever they would still compute could not be recorded. The
        // coordinator stops before the cluster is left, so that workers going away then are not taken for lost ones.
        await cells.CancelAsync();
        await StopCoordinator(coordinator);
        await host.Stop(system);
        var status = reader.Status(experimentId);
        // The writer last: closing the last connection checkpoints the write-ahead log into the database file.
        reader.Dispose();
        writer.Dispose();
        return new RunSummary(experimentId, status, interrupted, plan.Cells.Count);
    }
}
