using System.Collections.Concurrent;
using XaiGrid.Orchestration.Actors;

namespace XaiGrid.Orchestration.Tests.Actors;

public class ActorSystemTests
{
    [Fact]
    public async Task Shutdown_stops_in_reverse_spawn_order_so_queued_work_flows_downstream()
    {
        var probe = new Probe();
        var system = probe.NewSystem();
        var stops = new ConcurrentQueue<string>();
        var received = new ConcurrentQueue<int>();
        var sink = system.Spawn<int>("sink", () => new LambdaActor<int>((item, _) =>
        {
            received.Enqueue(item);
            return Task.CompletedTask;
        }, () => stops.Enqueue("sink")));
        var worker = system.Spawn<int>("worker", () => new LambdaActor<int>((item, _) =>
        {
            sink.Tell(item * 10);
            return Task.CompletedTask;
        }, () => stops.Enqueue("worker")));
        var coordinator = system.Spawn<int>("coordinator", () => new LambdaActor<int>((item, _) =>
        {
            worker.Tell(item + 1);
            return Task.CompletedTask;
        }, () => stops.Enqueue("coordinator")));

        for (var i = 0; i < 100; i++)
            coordinator.Tell(i);
        await system.ShutdownAsync().Within();

        Assert.Equal(new[] { "coordinator", "worker", "sink" }, stops);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => i * 10), received);
        Assert.Empty(probe.DeadLetters);
        Assert.Throws<InvalidOperationException>(() => system.Spawn<int>("late", () => new LambdaActor<int>((_, _) => Task.CompletedTask)));
    }

    [Fact]
    public async Task Abort_ends_a_shutdown_held_up_by_a_stuck_handler()
    {
        var probe = new Probe();
        var system = probe.NewSystem();
        var gates = new Gates();
        var stops = new ConcurrentQueue<string>();
        system.Spawn<int>("healthy", () => new LambdaActor<int>((_, _) => Task.CompletedTask,
            () => stops.Enqueue("healthy")));
        // The stuck handler waits for a gate nobody opens; only its token can end it.
        var stuck = system.Spawn<int>("stuck", () => new LambdaActor<int>((item, token) => gates.Pass(item, token),
            () => stops.Enqueue("stuck")));
        stuck.Tell(1);
        stuck.Tell(2);
        await gates.Entered(1);

        using var abort = new CancellationTokenSource();
        var shutdown = system.ShutdownAsync(abort.Token);
        Assert.False(shutdown.IsCompleted);
        abort.Cancel();
        await shutdown.Within();

        // After the abort the remaining actors stop together, in no fixed order.
        Assert.Equal(new[] { "healthy", "stuck" }, stops.Order());
        Assert.Equal(new object[] { 2 }, probe.DeadLetters.Select(letter => letter.Message));
        Assert.Empty(probe.Failures);
    }

    [Fact]
    public async Task Names_are_unique_and_required()
    {
        await using var system = new Probe().NewSystem();
        Func<Actor<int>> factory = () => new LambdaActor<int>((_, _) => Task.CompletedTask);
        system.Spawn("one", factory);
        var duplicate = Assert.Throws<ArgumentException>(() => system.SpawnPool("one", 2, factory));
        Assert.Contains("'one'", duplicate.Message);
        Assert.Throws<ArgumentException>(() => system.Spawn(" ", factory));
        Assert.Throws<ArgumentOutOfRangeException>(() => system.SpawnPool("pool", 0, factory));
        Assert.Throws<ArgumentOutOfRangeException>(() => system.Spawn("bounded", factory, mailboxCapacity: 0));
    }

    [Fact]
    public async Task A_throwing_failure_callback_faults_the_actor_and_the_shutdown_reports_it()
    {
        var system = new ActorSystem(_ => throw new InvalidOperationException("callback broke"), _ => { });
        var actor = system.Spawn<Msg>("counter", new CounterFactory().Create);
        actor.Tell(new Add(-1));

        var fault = await Assert.ThrowsAsync<InvalidOperationException>(() => actor.Completion.Within());
        Assert.Equal("callback broke", fault.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => system.ShutdownAsync().Within());
    }
}
