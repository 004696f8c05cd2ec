using System.Collections.Concurrent;
using XaiGrid.Orchestration.Actors;

namespace XaiGrid.Orchestration.Tests.Actors;

public class WorkerPoolTests
{
    [Fact]
    public async Task Every_item_is_handled_exactly_once_with_never_more_than_N_in_flight()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        const int workers = 3, items = 600;
        var counts = new ConcurrentDictionary<int, int>();
        var concurrency = new Concurrency();
        var maxInFlight = 0;
        WorkerPool<int>? pool = null;
        pool = system.SpawnPool<int>("pool", workers, () => new LambdaActor<int>(async (item, _) =>
        {
            concurrency.Enter();
            Atomic.Max(ref maxInFlight, pool!.InFlight);
            await Task.Yield();
            counts.AddOrUpdate(item, 1, (_, n) => n + 1);
            concurrency.Exit();
        }));

        for (var i = 0; i < items; i++)
        {
            Assert.True(await pool.SubmitAsync(i).Within());
            Atomic.Max(ref maxInFlight, pool.InFlight);
        }
        await pool.StopAsync().Within();

        Assert.Equal(Enumerable.Range(0, items), counts.Keys.Order());
        Assert.All(counts.Values, n => Assert.Equal(1, n));
        Assert.InRange(concurrency.Max, 1, workers);
        Assert.InRange(maxInFlight, 1, workers);
        Assert.Equal(0, pool.InFlight);
        Assert.Empty(probe.Failures);
        Assert.Empty(probe.DeadLetters);
    }

    [Fact]
    public async Task Submit_waits_while_N_items_are_in_flight_and_resumes_when_one_finishes()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gates = new Gates();
        var handled = new ConcurrentQueue<int>();
        var pool = system.SpawnPool<int>("pool", 2, () => new LambdaActor<int>(async (item, token) =>
        {
            await gates.Pass(item, token);
            handled.Enqueue(item);
        }));

        Assert.True(await pool.SubmitAsync(1).Within());
        Assert.True(await pool.SubmitAsync(2).Within());
        // Both held at once: the two workers really run side by side.
        await gates.Entered(1);
        await gates.Entered(2);
        Assert.Equal(2, pool.InFlight);
        var third = pool.SubmitAsync(3).AsTask();
        Assert.False(third.IsCompleted);

        gates.Open(1);
        Assert.True(await third.Within());
        await gates.Entered(3);
        Assert.Equal(2, pool.InFlight);
        Assert.Equal(new[] { 1 }, handled);

        gates.Open(2);
        gates.Open(3);
        await pool.StopAsync().Within();
        Assert.Equal(new[] { 1, 2, 3 }, handled.Order());
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_failing_item_is_reported_its_worker_restarted_and_the_rest_still_handled()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var handled = new ConcurrentDictionary<int, int>();
        var created = 0;
        var pool = system.SpawnPool<int>("pool", 2, () =>
        {
            Interlocked.Increment(ref created);
            return new LambdaActor<int>((item, _) =>
            {
                if (item == 13)
                    throw new InvalidOperationException("unlucky");
                handled.AddOrUpdate(item, 1, (_, n) => n + 1);
                return Task.CompletedTask;
            });
        });

        for (var i = 0; i < 100; i++)
            Assert.True(await pool.SubmitAsync(i).Within());
        await pool.StopAsync().Within();

        var failure = Assert.Single(probe.Failures);
        Assert.Equal(13, failure.Message);
        Assert.Equal(SupervisorDirective.Restart, failure.Directive);
        Assert.Contains(failure.Actor, new[] { "pool/0", "pool/1" });
        Assert.Equal(Enumerable.Range(0, 100).Where(i => i != 13), handled.Keys.Order());
        Assert.All(handled.Values, n => Assert.Equal(1, n));
        Assert.Equal(3, created);
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task Stopping_the_pool_releases_a_waiting_submit_and_dead_letters_its_item()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var gates = new Gates();
        var handled = new ConcurrentQueue<int>();
        var pool = system.SpawnPool<int>("pool", 1, () => new LambdaActor<int>(async (item, token) =>
        {
            await gates.Pass(item, token);
            handled.Enqueue(item);
        }));

        Assert.True(await pool.SubmitAsync(1).Within());
        await gates.Entered(1);
        var waiting = pool.SubmitAsync(2).AsTask();
        Assert.False(waiting.IsCompleted);

        await pool.StopAsync(drain: false).Within();

        Assert.False(await waiting.Within());
        Assert.Empty(handled);
        Assert.Equal(new object[] { 2 }, probe.DeadLetters.Select(letter => letter.Message));
        Assert.False(await pool.SubmitAsync(3).Within());
        Assert.Equal(new object[] { 2, 3 }, probe.DeadLetters.Select(letter => letter.Message));
        Assert.Empty(probe.Failures);
    }

    [Fact]
    public async Task When_its_last_worker_stops_the_pool_stops()
    {
        var probe = new Probe();
        await using var system = probe.NewSystem();
        var stop = new SupervisorStrategy(_ => SupervisorDirective.Stop, 0, TimeSpan.FromMinutes(1));
        var pool = system.SpawnPool<int>("pool", 2,
            () => new LambdaActor<int>((_, _) => throw new InvalidOperationException("broken")), stop);

        Assert.True(await pool.SubmitAsync(1).Within());
        Assert.True(await pool.SubmitAsync(2).Within());
        await pool.Completion.Within();

        Assert.Equal(new object[] { 1, 2 }, probe.Failures.Select(f => f.Message).Order());
        Assert.Equal(new[] { "pool/0", "pool/1" }, probe.Failures.Select(f => f.Actor).Order());
        Assert.False(await pool.SubmitAsync(3).Within());
        Assert.Equal(new object[] { 3 }, probe.DeadLetters.Select(letter => letter.Message));
    }
}
