using Akka.Actor;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Orchestration.Workers;

/// <summary>
/// The cell workers of one process, and their supervisor: a worker that throws is restarted (its cell goes back to
/// the coordinator, see <see cref="CellWorker"/>); one that cannot even start is stopped, and the coordinator, which
/// watches it, stops counting on it.
/// </summary>
public sealed class WorkerPool : ReceiveActor
{
    public WorkerPool(IActorRef coordinator, IReadOnlyList<string> names, CellWorkerSettings settings)
    {
        foreach (var name in names) Context.ActorOf(CellWorker.Props(name, coordinator, settings), name.Replace('/', '-'));
        ReceiveAny(message => Context.GetChildren().ToList().ForEach(child => child.Forward(message)));
    }

    public static Props Props(IActorRef coordinator, IReadOnlyList<string> names, CellWorkerSettings settings) =>
        Akka.Actor.Props.Create(() => new WorkerPool(coordinator, names, settings));

    /// <summary>Restart on any failure of a cell, as often as cells fail (each cell has its own limit in the coordinator).</summary>
    public static SupervisorStrategy Strategy { get; } = new OneForOneStrategy(maxNrOfRetries: -1, withinTimeMilliseconds: -1,
        localOnlyDecider: e => e is ActorInitializationException ? Directive.Stop : Directive.Restart, loggingEnabled: false);

    protected override SupervisorStrategy SupervisorStrategy() => Strategy;
}

/// <summary>
/// Workers in the coordinator's process (<c>xaigrid run</c>): <paramref name="Count"/> cell workers reading artifacts
/// from the store directly.
/// </summary>
/// <param name="ThreadsPerWorker">libtorch threads for the process; 0 keeps libtorch's setting.</param>
/// <param name="Device">Where the cells' tensors live (resolved by the caller, <see cref="TorchExtras.Devices.Resolve"/>); null: the CPU.</param>
/// <param name="Execute">Replaces cell execution (tests and benchmarks); null runs cells with <see cref="CellExecutor"/>.</param>
public sealed record LocalWorkers(int Count, int ThreadsPerWorker = 0, Device? Device = null, Func<WorkItem, CellOutput>? Execute = null)
{
    internal Props Props(IActorRef coordinator, string databasePath, CancellationToken cancel)
    {
        if (Count < 1) throw new ArgumentOutOfRangeException(nameof(Count), Count, "at least one worker");
        if (ThreadsPerWorker > 0) torch.set_num_threads(ThreadsPerWorker);
        var names = Enumerable.Range(1, Count).Select(i => $"worker-{i}").ToList();
        return WorkerPool.Props(coordinator, names, new CellWorkerSettings(() => Runner(databasePath), cancel));
    }

    private ICellRunner Runner(string databasePath)
    {
        var artifacts = new StoreArtifactSource(databasePath);
        return Execute is { } execute ? new DelegateCellRunner(execute, artifacts) : new ExecutorCellRunner(artifacts, Device, artifacts);
    }
}

/// <summary>A runner made of a function (tests and benchmarks stand in for execution with one).</summary>
public sealed class DelegateCellRunner(Func<WorkItem, CellOutput> run, IDisposable? owned = null) : ICellRunner
{
    public CellOutput Run(WorkItem item, CancellationToken cancel) => run(item);

    public void Dispose() => owned?.Dispose();
}
