using XaiGrid.Orchestration.Actors;

namespace XaiGrid.Orchestration.Tests.Actors;

public class SupervisionTests
{
    private static SupervisorStrategy Always(SupervisorDirective directive, int maxRestarts = 10) =>
        new(_ => directive, maxRestarts, TimeSpan.FromHours(1));

    [Fact]
    public async Task Restart_replaces_the_instance_keeps_the_queue_and_reports_the_failing_message()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var counters = new CounterFactory();
        var actor = system.Spawn<Msg>("counter", counters.Create, Always(SupervisorDirective.Restart));

        foreach (var value in new[] { 1, 2, -1, 3, 4 })
            Assert.True(actor.Tell(new Add(value)));
        var snapshot = await actor.Ask<Snapshot>(reply => new Get(reply)).Within();

        // Messages queued behind the failing one reached the fresh instance; the old state is gone.
        Assert.Equal(2, snapshot.Instance);
        Assert.Equal(new[] { 3, 4 }, snapshot.Values);
        Assert.Equal(2, counters.Created);
        var failure = Assert.Single(probe.Failures);
        Assert.Equal(new ActorFailure("counter", new Add(-1), failure.Exception, SupervisorDirective.Restart), failure);
        Assert.Equal("bad -1", failure.Exception.Message);
        Assert.Equal(new[] { "1:PreStart", "1:PreRestart Add { Value = -1 }", "1:PostStop", "2:PreStart" },
            counters.Log);
        Assert.Empty(probe.DeadLetters);
    }

    [Fact]
    public async Task Resume_keeps_the_instance_and_its_state()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var counters = new CounterFactory();
        var actor = system.Spawn<Msg>("counter", counters.Create, Always(SupervisorDirective.Resume));

        foreach (var value in new[] { 1, 2, -1, 3, -2, 4 })
            actor.Tell(new Add(value));
        var snapshot = await actor.Ask<Snapshot>(reply => new Get(reply)).Within();

        Assert.Equal(1, snapshot.Instance);
        Assert.Equal(new[] { 1, 2, 3, 4 }, snapshot.Values);
        Assert.Equal(1, counters.Created);
        Assert.Equal(new Msg[] { new Add(-1), new Add(-2) }, probe.Failures.Select(f => (Msg)f.Message!));
        Assert.All(probe.Failures, f => Assert.Equal(SupervisorDirective.Resume, f.Directive));
        Assert.Equal(new[] { "1:PreStart" }, counters.Log);
    }

    [Fact]
    public async Task The_decider_chooses_per_exception_and_Stop_dead_letters_the_rest()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var counters = new CounterFactory();
        var strategy = new SupervisorStrategy(
            error => error is ArgumentException ? SupervisorDirective.Resume : SupervisorDirective.Stop,
            10, TimeSpan.FromHours(1));
        var actor = system.Spawn<Msg>("counter", counters.Create, strategy);

        actor.Tell(new Add(1));
        actor.Tell(new Throw(new ArgumentException("tolerated")));
        actor.Tell(new Add(2));
        actor.Tell(new Throw(new InvalidOperationException("fatal")));
        actor.Tell(new Add(3));
        await actor.Completion.Within();

        Assert.Equal(new[] { SupervisorDirective.Resume, SupervisorDirective.Stop },
            probe.Failures.Select(f => f.Directive));
        Assert.Equal(new[] { "tolerated", "fatal" }, probe.Failures.Select(f => f.Exception.Message));
        Assert.Equal(new Msg[] { new Add(3) }, probe.DeadLetters.Select(letter => (Msg)letter.Message));
        Assert.Equal(new[] { "1:PreStart", "1:PostStop" }, counters.Log);
        Assert.False(actor.Tell(new Add(4)));
    }

    [Fact]
    public async Task Exceeding_the_restart_limit_stops_the_actor_and_says_so()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var counters = new CounterFactory();
        var actor = system.Spawn<Msg>("counter", counters.Create, Always(SupervisorDirective.Restart, maxRestarts: 2));

        foreach (var value in new[] { -1, -2, -3, 5 })
            actor.Tell(new Add(value));
        await actor.Completion.Within();

        Assert.Equal(
            new[]
            {
                new ActorFailure("counter", new Add(-1), probe.Failures.ElementAt(0).Exception, SupervisorDirective.Restart),
                new ActorFailure("counter", new Add(-2), probe.Failures.ElementAt(1).Exception, SupervisorDirective.Restart),
                new ActorFailure("counter", new Add(-3), probe.Failures.ElementAt(2).Exception, SupervisorDirective.Stop,
                    RestartLimitExceeded: true),
            },
            probe.Failures);
        Assert.Equal(3, counters.Created);
        Assert.Equal("3:PostStop", counters.Log.Last());
        Assert.Equal(new Msg[] { new Add(5) }, probe.DeadLetters.Select(letter => (Msg)letter.Message));
    }

    [Fact]
    public async Task Restarts_older_than_the_window_no_longer_count()
    {
        var probe = new Probe();
        var time = new ManualTime();
        await using var system = probe.NewSystem(time);
        var counters = new CounterFactory();
        var strategy = new SupervisorStrategy(_ => SupervisorDirective.Restart, 1, TimeSpan.FromMinutes(1));
        var actor = system.Spawn<Msg>("counter", counters.Create, strategy);

        async Task FailThenSync(int value)
        {
            actor.Tell(new Add(value));
            await actor.Ask<Snapshot>(reply => new Get(reply)).Within();
        }

        await FailThenSync(-1);
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(1));
        await FailThenSync(-2);
        actor.Tell(new Add(-3));
        await actor.Completion.Within();

        Assert.Equal(new[] { false, false, true }, probe.Failures.Select(f => f.RestartLimitExceeded));
        Assert.Equal(
            new[] { SupervisorDirective.Restart, SupervisorDirective.Restart, SupervisorDirective.Stop },
            probe.Failures.Select(f => f.Directive));
        Assert.Equal(3, counters.Created);
    }

    [Fact]
    public void A_strategy_rejects_a_negative_limit_or_an_empty_window()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new SupervisorStrategy(_ => SupervisorDirective.Restart, -1, TimeSpan.FromMinutes(1)));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new SupervisorStrategy(_ => SupervisorDirective.Restart, 1, TimeSpan.Zero));
    }
}
