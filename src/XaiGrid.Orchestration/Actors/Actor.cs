namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// The behaviour of an actor: what it does with one message, plus lifecycle hooks. An instance is only
/// ever called from its actor's single loop, so it may keep mutable state without locks. Instances are
/// created by the factory given to <see cref="ActorSystem.Spawn{TMessage}"/>; a restart throws the
/// instance (and its state) away and asks the factory for a fresh one, while the mailbox lives on.
/// </summary>
public abstract class Actor<TMessage>
{
    /// <summary>
    /// Handles one message. The next message is not handed over until the returned task completes.
    /// An exception is given to the supervisor strategy (resume, restart or stop). The token is
    /// signalled only when the actor is stopped without draining; an <see cref="OperationCanceledException"/>
    /// thrown because of it ends the actor quietly instead of counting as a failure.
    /// </summary>
    protected internal abstract Task HandleAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>Runs on the actor's loop before the first message of this instance (also after a restart).</summary>
    protected internal virtual void PreStart() { }

    /// <summary>Runs on the actor's loop once, after the last message, when the actor stops for any reason.</summary>
    protected internal virtual void PostStop() { }

    /// <summary>
    /// Runs on the failing instance before it is replaced. By default it releases what the instance holds
    /// the same way a final stop does, so an actor that cleans up in <see cref="PostStop"/> needs nothing more.
    /// </summary>
    protected internal virtual void PreRestart(Exception exception, TMessage message) => PostStop();
}
