using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Workers;
using TorchSharp;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// The <c>xaigrid worker</c> process (DESIGN.md §5): an actor system that joins the coordinator's node (the seed,
/// xaigrid.worker.coordinator) with Akka.Cluster and runs a <see cref="WorkerNode"/>. When the coordinator goes away
/// (its run is over, it was killed) or this node is downed (cut off from it), the system ends and a fresh one joins
/// again, for as long as the process runs: a coordinator started again on its store finds the workers it had. SIGTERM
/// or Ctrl-C lets the running cells finish and report, leaves the cluster and returns; a second signal ends the
/// process at once.
/// </summary>
public static class WorkerHost
{
    /// <summary>The process: runs until SIGTERM or SIGINT (or <paramref name="cancel"/>).</summary>
    public static async Task RunAsync(ClusterSettings settings, CancellationToken cancel = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) > 1) return;
            context.Cancel = true;
            Console.Error.WriteLine($"worker {settings.Worker.Name}: stopping after the running cells (signal again to stop at once)");
            stop.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        await RunAsync(settings, runners: null, Console.Out, stop.Token);
    }

    /// <param name="runners">Makes each cell worker's runner; null runs cells with <see cref="CellExecutor"/> on the configured device and threads.</param>
    /// <param name="log">Where cells' starts and ends and the node's comings and goings are written (thread-safe); none when null.</param>
    /// <param name="stop">Stops the worker: running cells finish and report, then it leaves.</param>
    /// <param name="joined">Called with each system once it runs, before it joins (tests watch it).</param>
    public static async Task RunAsync(ClusterSettings settings, Func<IArtifactSource, ICellRunner>? runners, TextWriter? log, CancellationToken stop,
        Action<ActorSystem, WorkerHostState>? joined = null)
    {
        if (runners is null)
        {
            var device = Devices.Resolve(settings.Worker.Device, "xaigrid.worker.device");
            if (settings.Worker.Threads > 0) torch.set_num_threads(settings.Worker.Threads);
            runners = artifacts => new ExecutorCellRunner(artifacts, device);
        }
        var coordinator = settings.CoordinatorAddress;
        var config = ConfigurationFactory.ParseString("akka.actor.provider = cluster\nakka.cluster.roles = [worker]").WithFallback(settings.Config);
        var tls = NodeTls.Setup(settings.Tls);
        while (!stop.IsCancellationRequested)
        {
            using var cells = new CancellationTokenSource();
            var state = new WorkerHostState(cells.Token, log);
            var system = ActorSystems.Create(config, tls);
            // However the system ends (left, downed by the split-brain resolver), the running cells stop first.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "stop-cells", () =>
            {
                if (!state.Drained.Task.IsCompleted) cells.Cancel();
                return Task.FromResult(Akka.Done.Instance);
            });
            joined?.Invoke(system, state);
            system.ActorOf(WorkerNode.Props(settings, runners, state), "worker");
            log?.WriteLine($"worker {settings.Worker.Name}: joining the coordinator at {coordinator} from {Akka.Cluster.Cluster.Get(system).SelfAddress}");
            Akka.Cluster.Cluster.Get(system).JoinSeedNodes([coordinator]);

            var stopped = Task.Delay(Timeout.Infinite, stop);
            var first = await Task.WhenAny(state.CoordinatorGone.Task, system.WhenTerminated, stopped);
            if (first == stopped)
            {
                system.ActorSelection("/user/worker").Tell(new WorkerNode.Drain());
                await Task.WhenAny(state.Drained.Task, system.WhenTerminated);
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
                await system.WhenTerminated;
                log?.WriteLine($"worker {settings.Worker.Name}: stopped");
                return;
            }
            var why = first == state.CoordinatorGone.Task ? state.CoordinatorGone.Task.Result : "this node was removed from the cluster";
            log?.WriteLine($"worker {settings.Worker.Name}: {why}; joining again");
            await cells.CancelAsync();
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
            await system.WhenTerminated;
            try
            {
                await Task.Delay(settings.Worker.RejoinDelay, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
