using Akka.Actor;

namespace XaiGrid.Orchestration.Hosting;

/// <summary>
/// The parent of a run's actors (result sink, coordinator, artifact server, local workers): it makes them on request,
/// and when one of them throws, it stops it and fails the run with that error, rather than restarting an actor that
/// held the run's state.
/// </summary>
internal sealed class RunSupervisor : ReceiveActor
{
    public sealed record Spawn(Props Props, string Name);

    private readonly TaskCompletionSource<bool> finished;

    public RunSupervisor(TaskCompletionSource<bool> finished)
    {
        this.finished = finished;
        Receive<Spawn>(spawn => Sender.Tell(Context.ActorOf(spawn.Props, spawn.Name)));
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        finished.TrySetException(new InvalidOperationException($"the run failed: {e.GetType().Name}: {e.Message}", e));
        return Directive.Stop;
    });
}
