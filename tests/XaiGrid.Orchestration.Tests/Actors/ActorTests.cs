using System.Collections.Concurrent;
using XaiGrid.Orchestration.Actors;

namespace XaiGrid.Orchestration.Tests.Actors;

public class ActorTests
{
    [Fact]
    public async Task Messages_are_handled_one_at_a_time_in_each_senders_order()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var seen = new ConcurrentQueue<(int Producer, int Sequence)>();
        var concurrency = new Concurrency();
        var actor = system.Spawn<(int Producer, int Sequence)>("ordered", () => new LambdaActor<(int, int)>(
            async (message, _) =>
            {
                concurrency.Enter();
                // Gives any second handler of the same actor the chance to overlap with this one.
                await Task.Yield();
                seen.Enqueue(message);
                concurrency.Exit();
            }));

        const int producers = 4, perProducer = 500;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < perProducer; i++)
                Assert.True(actor.Tell((p, i)));
        }))).Within();
        await actor.StopAsync().Within();

        Assert.Equal(1, concurrency.Max);
        Assert.Equal(producers * perProducer, seen.Count);
        for (var p = 0; p < producers; p++)
            Assert.Equal(Enumerable.Range(0, perProducer), seen.Where(m => m.Producer == p).Select(m => m.Sequence));
        Assert.Empty(probe.Failures);
        Assert.Empty(probe.DeadLetters);
    }

    [Fact]
    public async Task Ask_returns_the_reply_and_propagates_the_handlers_exception()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var counters = new CounterFactory();
        var actor = system.Spawn<Msg>("counter", counters.Create);

        actor.Tell(new Add(7));
        actor.Tell(new Add(8));
        var snapshot = await actor.Ask<Snapshot>(reply => new Get(reply)).Within();
        Assert.Equal(new[] { 7, 8 }, snapshot.Values);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => actor.Ask<Snapshot>(reply => new Fail(reply)).Within());
        Assert.Equal("request failed", error.Message);
        var failure = Assert.Single(probe.Failures);
        Assert.IsType<Fail>(failure.Message);
        Assert.Same(error, failure.Exception);

        // The default strategy restarted the actor: it still answers, from a fresh instance.
        var after = await actor.Ask<Snapshot>(reply => new Get(reply)).Within();
        Assert.Equal(2, after.Instance);
        Assert.Empty(after.Values);
    }

    [Fact]
    public async Task Ask_to_a_stopped_actor_fails_and_the_request_becomes_a_dead_letter()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var actor = system.Spawn<Msg>("counter", new CounterFactory().Create);
        await actor.StopAsync().Within();

        Get? request = null;
        var error = await Assert.ThrowsAsync<ActorStoppedException>(
            () => actor.Ask<Snapshot>(reply => request = new Get(reply)).Within());
        Assert.Equal("counter", error.Actor);
        var letter = Assert.Single(probe.DeadLetters);
        Assert.Equal("counter", letter.Recipient);
        Assert.Same(request, letter.Message);
    }

    [Fact]
    public async Task Graceful_stop_handles_everything_queued_then_refuses_new_messages()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gates = new Gates();
        var handled = new ConcurrentQueue<int>();
        var log = new ConcurrentQueue<string>();
        var actor = system.Spawn<int>("drainer", () => new LambdaActor<int>(async (message, token) =>
        {
            if (message == 1)
                await gates.Pass(1, token);
            handled.Enqueue(message);
            log.Enqueue($"handled {message}");
        }, () => log.Enqueue("PostStop")));

        for (var i = 1; i <= 10; i++)
            Assert.True(actor.Tell(i));
        await gates.Entered(1);
        var stopped = actor.StopAsync();
        Assert.False(actor.Tell(11));
        Assert.False(stopped.IsCompleted);

        gates.Open(1);
        await stopped.Within();

        Assert.Equal(Enumerable.Range(1, 10), handled);
        Assert.Equal("PostStop", log.Last());
        Assert.Equal(1, log.Count(line => line == "PostStop"));
        var letter = Assert.Single(probe.DeadLetters);
        Assert.Equal(11, letter.Message);
        Assert.Empty(probe.Failures);
        Assert.Same(stopped, actor.StopAsync());
    }

    [Fact]
    public async Task Stop_without_draining_cancels_the_running_handler_and_dead_letters_the_queue()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gates = new Gates();
        var handled = new ConcurrentQueue<Msg>();
        var postStops = 0;
        var actor = system.Spawn<Msg>("aborted", () => new LambdaActor<Msg>(async (message, token) =>
        {
            if (message is Add { Value: 1 })
                await gates.Pass(1, token);
            handled.Enqueue(message);
        }, () => Interlocked.Increment(ref postStops)));

        var first = new Add(1);
        var second = new Add(2);
        actor.Tell(first);
        actor.Tell(second);
        Get? request = null;
        var ask = actor.Ask<Snapshot>(reply => request = new Get(reply));
        await gates.Entered(1);

        await actor.StopAsync(drain: false).Within();

        Assert.Empty(handled);
        Assert.Equal(1, postStops);
        Assert.Empty(probe.Failures);
        Assert.Equal(new object?[] { second, request }, probe.DeadLetters.Select(letter => letter.Message));
        await Assert.ThrowsAsync<ActorStoppedException>(() => ask.Within());
    }

    [Fact]
    public async Task A_full_bounded_mailbox_refuses_Tell_and_makes_TellAsync_wait()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gates = new Gates();
        var handled = new ConcurrentQueue<int>();
        var actor = system.Spawn<int>("bounded", () => new LambdaActor<int>(async (message, token) =>
        {
            if (message == 1)
                await gates.Pass(1, token);
            handled.Enqueue(message);
        }), mailboxCapacity: 1);

        Assert.True(actor.Tell(1));
        await gates.Entered(1);
        Assert.True(actor.Tell(2));
        Assert.False(actor.Tell(3));
        var waiting = actor.TellAsync(3).AsTask();
        Assert.False(waiting.IsCompleted);

        gates.Open(1);
        Assert.True(await waiting.Within());
        await actor.StopAsync().Within();

        Assert.Equal(new[] { 1, 2, 3 }, handled);
        Assert.Empty(probe.DeadLetters);
    }

    [Fact]
    public async Task A_throwing_PreStart_stops_the_actor_and_dead_letters_its_messages()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn<int>("broken", () =>
        {
            // Holds the factory until the messages are queued, so they are the ones left behind.
            gate.Task.Wait(Guard.Timeout);
            throw new InvalidOperationException("cannot start");
        });
        Assert.True(actor.Tell(1));
        Assert.True(actor.Tell(2));
        gate.SetResult();

        await actor.Completion.Within();

        var failure = Assert.Single(probe.Failures);
        Assert.Equal("broken", failure.Actor);
        Assert.Null(failure.Message);
        Assert.Equal(SupervisorDirective.Stop, failure.Directive);
        Assert.Equal("cannot start", failure.Exception.Message);
        Assert.Equal(new object[] { 1, 2 }, probe.DeadLetters.Select(letter => letter.Message));
        Assert.False(actor.Tell(3));
        Assert.Equal(3, probe.DeadLetters.Count);
    }

    [Fact]
    public async Task Null_messages_are_rejected()
    {
        await using var system = new Probe().NewSystem();
        var actor = system.Spawn<Msg>("counter", new CounterFactory().Create);
        Assert.Throws<ArgumentNullException>(() => actor.Tell(null!));
    }
}
