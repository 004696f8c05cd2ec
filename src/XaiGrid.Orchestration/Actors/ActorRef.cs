namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// The address of a spawned actor: the only way to reach it. Safe to use from any thread; messages from
/// one sender are handled in the order they were told.
/// </summary>
public sealed class ActorRef<TMessage> : IActorHandle
{
    private readonly Mailbox<TMessage> mailbox;

    internal ActorRef(string name, Func<Actor<TMessage>> factory, SupervisorStrategy strategy, int? capacity,
        ActorSystem system)
    {
        Name = name;
        mailbox = new Mailbox<TMessage>(name, capacity, loops: 1, system.ReportDeadLetter);
        Completion = ActorLoop<TMessage>.Start(name, factory, mailbox, strategy, system.TimeProvider, system.ReportFailure);
    }

    public string Name { get; }

    /// <summary>
    /// Completes once the actor has stopped, PostStop has run and every message left behind has gone to the
    /// dead letters. It completes successfully also when the supervisor stopped the actor (that failure goes
    /// to the failure callback); it faults only when a callback or the strategy's decider threw.
    /// </summary>
    public Task Completion { get; }

    /// <summary>
    /// Queues a message without waiting. False when the actor has stopped (the message goes to the dead
    /// letters) or when a bounded mailbox is full (the caller keeps the message; <see cref="TellAsync"/> waits).
    /// </summary>
    public bool Tell(TMessage message) => mailbox.TryPost(Mailbox<TMessage>.Wrap(message));

    /// <summary>Waits for room in a bounded mailbox; false (and a dead letter) once the actor has stopped.</summary>
    public ValueTask<bool> TellAsync(TMessage message, CancellationToken cancellationToken = default) =>
        mailbox.PostAsync(Mailbox<TMessage>.Wrap(message), cancellationToken);

    /// <summary>
    /// Request-reply: <paramref name="request"/> builds the message around a fresh <see cref="Reply{T}"/>,
    /// which the handler completes. The task faults with the handler's exception if handling the request
    /// throws, and with <see cref="ActorStoppedException"/> if the actor stops before handling it. A handler
    /// may also complete the reply later (e.g. after forwarding); use the token to bound the wait.
    /// </summary>
    public async Task<TReply> Ask<TReply>(Func<Reply<TReply>, TMessage> request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new Reply<TReply>();
        // A refused request has already failed the reply through the dead letters.
        await mailbox.PostAsync(Mailbox<TMessage>.Wrap(request(reply), reply), cancellationToken).ConfigureAwait(false);
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the actor; new messages go to the dead letters from now on. With <paramref name="drain"/> (the
    /// default, a graceful stop) every message queued before the call is still handled, then PostStop runs.
    /// Without it the running handler's token is cancelled, queued messages become dead letters (their asks
    /// fail with <see cref="ActorStoppedException"/>) and PostStop runs as soon as the handler returns.
    /// Returns <see cref="Completion"/>; calling it again, or on a stopped actor, is harmless.
    /// </summary>
    public Task StopAsync(bool drain = true)
    {
        mailbox.Close(abort: !drain);
        return Completion;
    }

    public override string ToString() => $"ActorRef({Name})";
}
