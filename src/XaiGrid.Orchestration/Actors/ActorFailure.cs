namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// One failure of an actor, as reported to the system's failure callback.
/// <paramref name="Message"/> is the message whose handling threw (so its sender can retry it), or null
/// when the failure came from the factory or a lifecycle hook, which always stops the actor.
/// <paramref name="Directive"/> is what was applied; <paramref name="RestartLimitExceeded"/> is true when
/// the strategy asked for a restart but the restart budget was spent, so the actor was stopped instead.
/// </summary>
public sealed record ActorFailure(
    string Actor,
    object? Message,
    Exception Exception,
    SupervisorDirective Directive,
    bool RestartLimitExceeded = false);
