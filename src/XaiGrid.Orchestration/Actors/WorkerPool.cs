namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// N worker actors pulling from one shared mailbox, with at most N items in flight: an item counts from
/// the moment <see cref="SubmitAsync"/> accepts it until a worker has finished with it (handled, failed or
/// dead-lettered), and <see cref="SubmitAsync"/> waits while N are in flight. So a dispatcher never holds
/// more than N items outside its own books, and a free worker never waits while work is queued elsewhere.
/// Each worker is supervised on its own (restart budgets are per worker); a failed item is reported to the
/// system's failure callback with the worker's name "pool/i". When the last worker stops, the pool stops.
/// </summary>
public sealed class WorkerPool<TWork> : IActorHandle
{
    private readonly Mailbox<TWork> mailbox;
    private readonly SemaphoreSlim slots;

    internal WorkerPool(string name, int workers, Func<Actor<TWork>> factory, SupervisorStrategy strategy,
        ActorSystem system)
    {
        Name = name;
        Workers = workers;
        slots = new SemaphoreSlim(workers, workers);
        mailbox = new Mailbox<TWork>(name, capacity: null, workers, system.ReportDeadLetter, () => slots.Release());
        var loops = new Task[workers];
        for (var i = 0; i < workers; i++)
            loops[i] = ActorLoop<TWork>.Start($"{name}/{i}", factory, mailbox, strategy, system.TimeProvider,
                system.ReportFailure);
        Completion = Task.WhenAll(loops);
    }

    public string Name { get; }

    public int Workers { get; }

    /// <summary>Items accepted and not yet finished by a worker; never more than <see cref="Workers"/>.</summary>
    public int InFlight => Workers - slots.CurrentCount;

    /// <summary>Completes once every worker has stopped and queued leftovers went to the dead letters.</summary>
    public Task Completion { get; }

    /// <summary>
    /// Waits until fewer than <see cref="Workers"/> items are in flight, then queues the item. False when the
    /// pool has stopped (also while waiting); the item then goes to the dead letters. A dispatcher that is an
    /// actor may await this inside its handler: a slot frees as soon as a worker's handler returns, without
    /// needing the dispatcher to handle anything first.
    /// </summary>
    public async ValueTask<bool> SubmitAsync(TWork item, CancellationToken cancellationToken = default)
    {
        var envelope = Mailbox<TWork>.Wrap(item);
        if (!slots.Wait(0) && !await WaitForSlotAsync(cancellationToken).ConfigureAwait(false))
        {
            mailbox.DeadLetter(envelope);
            return false;
        }
        if (mailbox.TryPost(envelope))
            return true;
        slots.Release();
        return false;
    }

    private async Task<bool> WaitForSlotAsync(CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, mailbox.ClosedToken);
        try
        {
            await slots.WaitAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Same semantics as <see cref="ActorRef{TMessage}.StopAsync"/>, for all workers at once.</summary>
    public Task StopAsync(bool drain = true)
    {
        mailbox.Close(abort: !drain);
        return Completion;
    }

    public override string ToString() => $"WorkerPool({Name}, {Workers})";
}
