namespace XaiGrid.Orchestration.Actors;

/// <summary>What the system needs of an actor or pool to shut it down in order.</summary>
internal interface IActorHandle
{
    string Name { get; }

    Task Completion { get; }

    Task StopAsync(bool drain);
}
