namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// Spawns and supervises actors and worker pools, and shuts them down in order. Every failure (with the
/// directive applied and the failing message) goes to <c>onFailure</c>, every undeliverable message to
/// <c>onDeadLetter</c>: both are required, so nothing fails or vanishes unseen. The callbacks run on
/// whichever thread noticed the event (an actor's loop, a teller, a stopper): they must be thread-safe,
/// quick and must not throw (a throw faults the Completion of the actor that reported it).
/// </summary>
public sealed class ActorSystem(
    Action<ActorFailure> onFailure,
    Action<DeadLetter> onDeadLetter,
    TimeProvider? timeProvider = null) : IAsyncDisposable
{
    private readonly Action<ActorFailure> onFailure = onFailure ?? throw new ArgumentNullException(nameof(onFailure));
    private readonly Action<DeadLetter> onDeadLetter = onDeadLetter ?? throw new ArgumentNullException(nameof(onDeadLetter));
    private readonly Lock gate = new();
    private readonly List<IActorHandle> actors = [];
    private readonly HashSet<string> names = [];
    private bool shuttingDown;

    internal TimeProvider TimeProvider { get; } = timeProvider ?? TimeProvider.System;

    internal void ReportFailure(ActorFailure failure) => onFailure(failure);

    internal void ReportDeadLetter(DeadLetter letter) => onDeadLetter(letter);

    /// <summary>
    /// Starts an actor. Names are unique for the life of the system. <paramref name="mailboxCapacity"/> null
    /// means unbounded; a bounded mailbox makes Tell fail and TellAsync wait while it is full. Spawn an
    /// actor's dependencies before it: shutdown stops actors in reverse spawn order.
    /// </summary>
    public ActorRef<TMessage> Spawn<TMessage>(string name, Func<Actor<TMessage>> factory,
        SupervisorStrategy? supervisor = null, int? mailboxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (mailboxCapacity is < 1)
            throw new ArgumentOutOfRangeException(nameof(mailboxCapacity), mailboxCapacity,
                $"actor '{name}': mailbox capacity must be >= 1 (or null for unbounded)");
        return Register(name, () => new ActorRef<TMessage>(name, factory, supervisor ?? SupervisorStrategy.Default,
            mailboxCapacity, this));
    }

    /// <summary>Starts <paramref name="workers"/> instances from <paramref name="factory"/> over one mailbox.</summary>
    public WorkerPool<TWork> SpawnPool<TWork>(string name, int workers, Func<Actor<TWork>> factory,
        SupervisorStrategy? supervisor = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (workers < 1)
            throw new ArgumentOutOfRangeException(nameof(workers), workers, $"pool '{name}': workers must be >= 1");
        return Register(name, () => new WorkerPool<TWork>(name, workers, factory, supervisor ?? SupervisorStrategy.Default,
            this));
    }

    private T Register<T>(string name, Func<T> create) where T : IActorHandle
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("actor name must not be empty", nameof(name));
        lock (gate)
        {
            if (shuttingDown)
                throw new InvalidOperationException($"cannot spawn '{name}': the actor system is shutting down");
            if (!names.Add(name))
                throw new ArgumentException($"an actor named '{name}' already exists", nameof(name));
            var handle = create();
            actors.Add(handle);
            return handle;
        }
    }

    /// <summary>
    /// Stops every actor gracefully, one at a time in reverse spawn order, so an actor's queued messages are
    /// handled while the actors it sends to are still running. Once <paramref name="abort"/> is signalled,
    /// all actors not yet stopped are stopped without draining (handlers see their token cancelled) and the
    /// call returns when they have ended, so a stuck shutdown can be bounded by a timeout. Throws only if an
    /// actor's Completion faulted.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken abort = default)
    {
        IActorHandle[] handles;
        lock (gate)
        {
            shuttingDown = true;
            handles = [.. actors];
        }
        using (abort.Register(() =>
               {
                   foreach (var handle in handles)
                       _ = handle.StopAsync(drain: false);
               }))
        {
            for (var i = handles.Length - 1; i >= 0; i--)
                await handles[i].StopAsync(drain: true).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await Task.WhenAll(handles.Select(handle => handle.Completion)).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(ShutdownAsync());
}
