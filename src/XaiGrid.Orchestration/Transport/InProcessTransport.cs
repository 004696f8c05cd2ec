using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using XaiGrid.Orchestration.Actors;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;

namespace XaiGrid.Orchestration.Transport;

/// <summary>
/// Worker actors in this process, one cell at a time each, reading artifacts from the store directly. A cell that
/// throws is reported failed with its error; a worker actor that crashes outside a cell is restarted by its
/// supervisor and the cell it held is reported failed, so the coordinator retries it.
/// </summary>
public sealed class InProcessTransport : ICellTransport
{
    private readonly string databasePath;
    private readonly int workers;
    private readonly int threadsPerWorker;
    private readonly Device device;
    private readonly Func<WorkItem, CellOutput>? executeOverride;
    private ActorSystem? system;
    private WorkerPool<WorkItem>? pool;
    private Action<CellReport> report = _ => { };
    private Action<CellStarted> started = _ => { };
    private int nextWorker;

    /// <param name="execute">Replaces cell execution (tests and benchmarks); null runs cells with <see cref="CellExecutor"/>.</param>
    /// <param name="device">Where the cells' tensors live (resolved by the caller, <see cref="Devices.Resolve"/>); null: the CPU.</param>
    public InProcessTransport(string databasePath, int workers, int threadsPerWorker = 0, Func<WorkItem, CellOutput>? execute = null,
        Device? device = null)
    {
        this.device = device ?? torch.CPU;
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "at least one worker");
        this.databasePath = databasePath;
        this.workers = workers;
        this.threadsPerWorker = threadsPerWorker;
        executeOverride = execute;
    }

    public int Capacity => workers;

    public Task StartAsync(Action<CellReport> onReport, Action<CellStarted> onStarted, CancellationToken cancel)
    {
        report = onReport;
        started = onStarted;
        system = new ActorSystem(OnFailure, letter =>
        {
            if (letter.Message is WorkItem item) report(new CellReport(item.Key, letter.Recipient, null, "not run: the worker pool stopped"));
        });
        pool = system.SpawnPool("workers", workers, () => new WorkerActor(this, $"worker-{Interlocked.Increment(ref nextWorker)}"));
        return Task.CompletedTask;
    }

    public async ValueTask SendAsync(WorkItem item, CancellationToken cancel)
    {
        if (pool is null) throw new InvalidOperationException("the transport is not started");
        if (!await pool.SubmitAsync(item, cancel)) report(new CellReport(item.Key, "workers", null, "not run: the worker pool stopped"));
    }

    private void OnFailure(ActorFailure failure)
    {
        if (failure.Message is WorkItem item)
            report(new CellReport(item.Key, failure.Actor, null, $"worker crashed: {failure.Exception.GetType().Name}: {failure.Exception.Message}"));
    }

    /// <summary>
    /// Stops the workers without draining: the coordinator is gone by now, so whatever a running cell would still
    /// compute is lost anyway. Its cancelled token stops it at its next check (training: after the current step).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (system is not null) await system.ShutdownAsync(new CancellationToken(canceled: true));
    }

    /// <summary>Executes cells; its WorkerContext caches data and models across the cells it runs.</summary>
    private sealed class WorkerActor(InProcessTransport transport, string name) : Actor<WorkItem>
    {
        private StoreArtifactSource? artifacts;
        private WorkerContext? context;

        protected internal override void PreStart()
        {
            if (transport.threadsPerWorker > 0) torch.set_num_threads(transport.threadsPerWorker);
            artifacts = new StoreArtifactSource(transport.databasePath);
            context = new WorkerContext(artifacts) { Device = transport.device };
        }

        protected internal override Task HandleAsync(WorkItem item, CancellationToken cancel)
        {
            transport.started(new CellStarted(item.Key, name));
            CellOutput output;
            try
            {
                output = transport.executeOverride?.Invoke(item) ?? new CellExecutor(context!).Execute(item, cancel);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                transport.report(new CellReport(item.Key, name, null, Describe(e)));
                return Task.CompletedTask;
            }
            transport.report(new CellReport(item.Key, name, output, null));
            return Task.CompletedTask;
        }

        protected internal override void PostStop()
        {
            context?.Dispose();
            artifacts?.Dispose();
        }

        private static string Describe(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Describe(a.InnerExceptions[0])
            : $"{e.GetType().Name}: {e.Message}";
    }
}
