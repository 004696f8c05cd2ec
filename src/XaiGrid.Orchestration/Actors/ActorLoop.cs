namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// One processing loop: takes messages from a mailbox one at a time and hands them to the current actor
/// instance, applying the supervisor strategy when the handler throws. A single actor has one loop;
/// a worker pool has one per worker over a shared mailbox.
/// </summary>
internal sealed class ActorLoop<T>
{
    private readonly string name;
    private readonly Func<Actor<T>> factory;
    private readonly Mailbox<T> mailbox;
    private readonly SupervisorStrategy strategy;
    private readonly RestartBudget budget;
    private readonly Action<ActorFailure> reportFailure;

    private ActorLoop(string name, Func<Actor<T>> factory, Mailbox<T> mailbox, SupervisorStrategy strategy,
        TimeProvider time, Action<ActorFailure> reportFailure)
    {
        this.name = name;
        this.factory = factory;
        this.mailbox = mailbox;
        this.strategy = strategy;
        this.reportFailure = reportFailure;
        budget = new RestartBudget(strategy, time);
    }

    /// <summary>
    /// Starts the loop on the thread pool (so the factory and PreStart never run on the spawner's thread).
    /// The task completes after PostStop; it faults only if the failure or dead-letter callback or the
    /// strategy's decider throws, since those cannot be reported anywhere else.
    /// </summary>
    public static Task Start(string name, Func<Actor<T>> factory, Mailbox<T> mailbox, SupervisorStrategy strategy,
        TimeProvider time, Action<ActorFailure> reportFailure) =>
        Task.Run(new ActorLoop<T>(name, factory, mailbox, strategy, time, reportFailure).RunAsync);

    private async Task RunAsync()
    {
        try
        {
            var actor = Create();
            if (actor is null)
                return;
            var reader = mailbox.Reader;
            // Drain what is ready before awaiting again: a busy mailbox costs no await per message.
            while (!mailbox.IsAborted && await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (!mailbox.IsAborted && reader.TryRead(out var envelope))
                {
                    actor = await HandleAsync(actor, envelope).ConfigureAwait(false);
                    mailbox.MessageDone();
                    if (actor is null)
                        return;
                }
            }
            RunHook(actor.PostStop);
        }
        finally
        {
            mailbox.LoopExited();
        }
    }

    /// <returns>the instance to go on with, or null when the actor has stopped (PostStop already run).</returns>
    private async ValueTask<Actor<T>?> HandleAsync(Actor<T> actor, Envelope<T> envelope)
    {
        try
        {
            await actor.HandleAsync(envelope.Message, mailbox.AbortToken).ConfigureAwait(false);
            return actor;
        }
        catch (OperationCanceledException cancelled) when (mailbox.IsAborted)
        {
            // Stopped without draining: not a failure of the actor; the loop leaves after this message.
            envelope.Reply?.TrySetException(new ActorStoppedException(name, cancelled));
            return actor;
        }
        catch (Exception exception)
        {
            envelope.Reply?.TrySetException(exception);
            return Supervise(actor, exception, envelope.Message);
        }
    }

    private Actor<T>? Supervise(Actor<T> actor, Exception exception, T message)
    {
        switch (strategy.Decide(exception))
        {
            case SupervisorDirective.Resume:
                reportFailure(new ActorFailure(name, message, exception, SupervisorDirective.Resume));
                return actor;
            case SupervisorDirective.Restart when budget.TryTake():
                reportFailure(new ActorFailure(name, message, exception, SupervisorDirective.Restart));
                return RunHook(() => actor.PreRestart(exception, message)) ? Create() : null;
            case SupervisorDirective.Restart:
                reportFailure(new ActorFailure(name, message, exception, SupervisorDirective.Stop, RestartLimitExceeded: true));
                RunHook(actor.PostStop);
                return null;
            case SupervisorDirective.Stop:
                reportFailure(new ActorFailure(name, message, exception, SupervisorDirective.Stop));
                RunHook(actor.PostStop);
                return null;
            default:
                throw new InvalidOperationException($"actor '{name}': unknown supervisor directive");
        }
    }

    /// <summary>A fresh instance after PreStart, or null (reported) when the factory or PreStart threw.</summary>
    private Actor<T>? Create()
    {
        Actor<T>? actor = null;
        return RunHook(() =>
        {
            actor = factory() ?? throw new InvalidOperationException($"actor '{name}': the factory returned null");
            actor.PreStart();
        }) ? actor : null;
    }

    /// <summary>Lifecycle code that throws stops the actor: there is no message to resume or retry after.</summary>
    private bool RunHook(Action hook)
    {
        try
        {
            hook();
            return true;
        }
        catch (Exception exception)
        {
            reportFailure(new ActorFailure(name, null, exception, SupervisorDirective.Stop));
            return false;
        }
    }
}
