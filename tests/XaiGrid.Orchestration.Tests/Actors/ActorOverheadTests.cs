using System.Diagnostics;
using XaiGrid.Orchestration.Actors;
using Xunit.Abstractions;

namespace XaiGrid.Orchestration.Tests.Actors;

/// <summary>
/// Prints the per-message cost of the actor layer for the record (the target is well under 1 ms per
/// no-op cell). Asserts only that every message arrived: speed is for benchmarks, not tests.
/// </summary>
public class ActorOverheadTests(ITestOutputHelper output)
{
    private sealed record Ping(Reply<long> Reply, long Value);

    // On the thread pool, like a Coordinator's loop: not behind xunit's synchronization context.
    [Fact]
    public Task Measures_ask_round_trips_tell_throughput_and_pool_submissions() => Task.Run(MeasureAsync);

    private async Task MeasureAsync()
    {
        await using var system = new Probe().NewSystem();
        long sum = 0;
        var echo = system.Spawn<Ping>("echo", () => new LambdaActor<Ping>((ping, _) =>
        {
            ping.Reply.TrySetResult(ping.Value);
            return Task.CompletedTask;
        }));
        var counter = system.Spawn<long>("sum", () => new LambdaActor<long>((value, _) =>
        {
            sum += value;
            return Task.CompletedTask;
        }));
        long pooled = 0;
        var pool = system.SpawnPool<long>("pool", 2, () => new LambdaActor<long>((value, _) =>
        {
            Interlocked.Add(ref pooled, value);
            return Task.CompletedTask;
        }));

        const int asks = 20_000, tells = 200_000, submissions = 50_000;
        var clock = Stopwatch.StartNew();
        long echoed = 0;
        for (var i = 1; i <= asks; i++)
            echoed += await echo.Ask<long>(reply => new Ping(reply, i));
        var askTime = clock.Elapsed;

        clock.Restart();
        for (var i = 1; i <= tells; i++)
            counter.Tell(i);
        await counter.StopAsync().Within();
        var tellTime = clock.Elapsed;

        clock.Restart();
        for (var i = 1; i <= submissions; i++)
            await pool.SubmitAsync(i);
        await pool.StopAsync().Within();
        var poolTime = clock.Elapsed;

        Assert.Equal((long)asks * (asks + 1) / 2, echoed);
        Assert.Equal((long)tells * (tells + 1) / 2, sum);
        Assert.Equal((long)submissions * (submissions + 1) / 2, pooled);
        output.WriteLine($"ask round trip: {askTime.TotalMicroseconds / asks:F2} us ({asks} asks)");
        output.WriteLine($"tell + handle:  {tellTime.TotalMicroseconds / tells:F3} us ({tells} tells)");
        output.WriteLine($"pool submit + handle (2 workers): {poolTime.TotalMicroseconds / submissions:F2} us ({submissions} items)");
    }
}
