using Akka.Actor;
using Akka.Event;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Workers;
using ClusterEvent = Akka.Cluster.ClusterEvent;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// A worker process's node: once the coordinator's node is up in the cluster it registers with the coordinator, then
/// starts its cell workers (xaigrid.worker.concurrent-cells), which pull cells from it, and supervises them (a cell
/// that throws restarts its worker, see <see cref="CellWorker"/>). It watches the coordinator: when that leaves or its
/// node is removed, <see cref="WorkerHostState.CoordinatorGone"/> completes, and the host ends this actor system and
/// joins again with a fresh one (a node cannot join a cluster twice).
/// </summary>
public sealed class WorkerNode : ReceiveActor, IWithTimers
{
    /// <summary>Stop taking cells (SIGTERM): tells the coordinator, lets the running cells finish, completes <see cref="WorkerHostState.Drained"/>.</summary>
    public sealed record Drain;

    private sealed record Register;

    private readonly ClusterSettings settings;
    private readonly Address coordinatorAddress;
    private readonly Func<IArtifactSource, ICellRunner> runners;
    private readonly WorkerHostState state;
    private readonly HashSet<string> draining = new();
    private IActorRef? coordinator;
    private RemoteArtifactSource? artifacts;
    private int workers;
    private bool drainRequested, coordinatorUp, selfUp;

    public WorkerNode(ClusterSettings settings, Func<IArtifactSource, ICellRunner> runners, WorkerHostState state)
    {
        this.settings = settings;
        this.runners = runners;
        this.state = state;
        coordinatorAddress = settings.CoordinatorAddress;

        // Registration once both the coordinator's node and this one are up: the coordinator gives cells only to members.
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.Address == coordinatorAddress) coordinatorUp = true;
            if (up.Member.Address == Akka.Cluster.Cluster.Get(Context.System).SelfAddress) selfUp = true;
            if (coordinatorUp && selfUp && coordinator is null) Self.Tell(new Register());
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (removed.Member.Address == coordinatorAddress) state.CoordinatorGone.TrySetResult("the coordinator's node left the cluster");
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Register>(_ =>
        {
            if (coordinator is not null || drainRequested) return;
            Context.ActorSelection(new RootActorPath(coordinatorAddress) / "user" / "run" / "coordinator")
                .Tell(new RegisterWorker(settings.Worker.Name, settings.Worker.ConcurrentCells));
            // Until the coordinator answers (it may still be planning, or starting again on its store).
            Timers.StartSingleTimer("register", new Register(), TimeSpan.FromSeconds(1));
        });
        Receive<WorkerRegistered>(registered =>
        {
            if (coordinator is not null) return;
            coordinator = Sender;
            Timers.Cancel("register");
            Context.Watch(coordinator);
            state.Log?.WriteLine($"worker {settings.Worker.Name}: registered with the coordinator of {registered.Experiment} at {coordinatorAddress}");
            var server = Context.ActorSelection(new RootActorPath(coordinatorAddress) + registered.ArtifactsPath.TrimStart('/'));
            artifacts = new RemoteArtifactSource(Context.System, server, settings.Worker, state.Cells);
            var cell = new CellWorkerSettings(() => runners(artifacts), state.Cells, state.Log, settings.Artifacts.InlineBytes, settings.Artifacts.ChunkBytes);
            workers = settings.Worker.ConcurrentCells;
            for (int i = 0; i < workers; i++)
            {
                var name = workers == 1 ? settings.Worker.Name : $"{settings.Worker.Name}/{i}";
                Context.ActorOf(CellWorker.Props(name, coordinator, cell), $"cells-{i}");
            }
            state.Registered.TrySetResult();
        });
        Receive<Terminated>(terminated =>
        {
            if (terminated.ActorRef.Equals(coordinator)) state.CoordinatorGone.TrySetResult("the coordinator stopped");
        });
        Receive<Drain>(_ =>
        {
            drainRequested = true;
            if (coordinator is null)
            {
                state.Drained.TrySetResult();
                return;
            }
            coordinator.Tell(new WorkerLeaving(settings.Worker.Name));
            foreach (var child in Context.GetChildren()) child.Tell(new CellWorker.Drain());
        });
        Receive<CellWorker.Drained>(drained =>
        {
            draining.Add(drained.Worker);
            if (draining.Count >= workers) state.Drained.TrySetResult();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ClusterSettings settings, Func<IArtifactSource, ICellRunner> runners, WorkerHostState state) =>
        Akka.Actor.Props.Create(() => new WorkerNode(settings, runners, state));

    protected override SupervisorStrategy SupervisorStrategy() => WorkerPool.Strategy;

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        artifacts?.Dispose();
    }
}

/// <summary>What a <see cref="WorkerNode"/> tells its host, and the token that stops its cells.</summary>
public sealed class WorkerHostState(CancellationToken cells, TextWriter? log)
{
    public CancellationToken Cells { get; } = cells;
    public TextWriter? Log { get; } = log;
    public TaskCompletionSource Registered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<string> CoordinatorGone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
