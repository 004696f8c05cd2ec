namespace XaiGrid.Orchestration.Actors;

/// <summary>The reply to an ask whose request was never handled because the actor stopped.</summary>
public sealed class ActorStoppedException(string actor, Exception? inner = null)
    : Exception($"actor '{actor}' stopped before handling the request", inner)
{
    public string Actor { get; } = actor;
}
