namespace XaiGrid.Orchestration.Actors;

/// <summary>What the supervisor does with an actor whose handler threw.</summary>
public enum SupervisorDirective
{
    /// <summary>Keep the instance and its state; go on with the next message.</summary>
    Resume,

    /// <summary>Replace the instance with a fresh one from the factory; queued messages are kept.</summary>
    Restart,

    /// <summary>Stop the actor; queued messages become dead letters.</summary>
    Stop,
}

/// <summary>
/// Decides, per exception, how a failed actor goes on, and bounds restarts: more than
/// <see cref="MaxRestarts"/> restarts within <see cref="Within"/> stop the actor instead
/// (a poison environment, not a poison message), which is reported with
/// <see cref="ActorFailure.RestartLimitExceeded"/> set.
/// </summary>
public sealed class SupervisorStrategy
{
    /// <summary>Restart on every exception, at most 10 times a minute.</summary>
    public static SupervisorStrategy Default { get; } = new(_ => SupervisorDirective.Restart, 10, TimeSpan.FromMinutes(1));

    private readonly Func<Exception, SupervisorDirective> decider;

    public SupervisorStrategy(Func<Exception, SupervisorDirective> decider, int maxRestarts, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(decider);
        if (maxRestarts < 0)
            throw new ArgumentOutOfRangeException(nameof(maxRestarts), maxRestarts, "maxRestarts must be >= 0");
        if (within <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(within), within, "within must be a positive time span");
        this.decider = decider;
        MaxRestarts = maxRestarts;
        Within = within;
    }

    public int MaxRestarts { get; }

    public TimeSpan Within { get; }

    /// <summary>Must not throw: an exception here faults the actor's Completion.</summary>
    public SupervisorDirective Decide(Exception exception) => decider(exception);
}
