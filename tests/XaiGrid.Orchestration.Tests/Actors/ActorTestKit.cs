using System.Collections.Concurrent;
using XaiGrid.Orchestration.Actors;

namespace XaiGrid.Orchestration.Tests.Actors;

/// <summary>Collects what an actor system reports, so tests can assert on failures and dead letters.</summary>
internal sealed class Probe
{
    public ConcurrentQueue<ActorFailure> Failures { get; } = new();

    public ConcurrentQueue<DeadLetter> DeadLetters { get; } = new();

    public ActorSystem NewSystem(TimeProvider? time = null) => new(Failures.Enqueue, DeadLetters.Enqueue, time);
}

internal static class Guard
{
    // Only a failure guard against hangs: no test depends on how fast anything runs.
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);
}

internal static class Atomic
{
    public static void Max(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

/// <summary>A clock that moves only when told to, for the restart window.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}

internal abstract record Msg;

/// <summary>Appends the value to the actor's state; a negative value makes the handler throw.</summary>
internal sealed record Add(int Value) : Msg;

internal sealed record Throw(Exception Error) : Msg;

internal sealed record Get(Reply<Snapshot> Reply) : Msg;

/// <summary>A request whose handling throws.</summary>
internal sealed record Fail(Reply<Snapshot> Reply) : Msg;

internal sealed record Snapshot(int Instance, int[] Values);

/// <summary>A stateful actor that logs its lifecycle with the number of the instance it is.</summary>
internal sealed class Counter(int instance, ConcurrentQueue<string> log) : Actor<Msg>
{
    private readonly List<int> values = [];

    protected override Task HandleAsync(Msg message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case Add { Value: < 0 } add:
                throw new InvalidOperationException($"bad {add.Value}");
            case Add add:
                values.Add(add.Value);
                break;
            case Throw t:
                throw t.Error;
            case Get get:
                get.Reply.TrySetResult(new Snapshot(instance, [.. values]));
                break;
            case Fail:
                throw new InvalidOperationException("request failed");
        }
        return Task.CompletedTask;
    }

    protected override void PreStart() => log.Enqueue($"{instance}:PreStart");

    protected override void PostStop() => log.Enqueue($"{instance}:PostStop");

    protected override void PreRestart(Exception exception, Msg message)
    {
        log.Enqueue($"{instance}:PreRestart {message}");
        base.PreRestart(exception, message);
    }
}

internal sealed class CounterFactory
{
    private int created;

    public ConcurrentQueue<string> Log { get; } = new();

    public int Created => Volatile.Read(ref created);

    public Actor<Msg> Create() => new Counter(Interlocked.Increment(ref created), Log);
}

/// <summary>An actor whose behaviour is a delegate; PostStop is logged.</summary>
internal sealed class LambdaActor<T>(Func<T, CancellationToken, Task> handle, Action? postStop = null) : Actor<T>
{
    protected override Task HandleAsync(T message, CancellationToken cancellationToken) =>
        handle(message, cancellationToken);

    protected override void PostStop() => postStop?.Invoke();
}

/// <summary>Tracks how many handlers run at once and the most that ever did.</summary>
internal sealed class Concurrency
{
    private int active;
    private int max;

    public int Max => Volatile.Read(ref max);

    public void Enter() => Atomic.Max(ref max, Interlocked.Increment(ref active));

    public void Exit() => Interlocked.Decrement(ref active);
}

/// <summary>Per-key gates: a handler waits on its key's gate; the test opens gates one by one.</summary>
internal sealed class Gates
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> open = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> entered = new();

    private static TaskCompletionSource New(int _) => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called by the handler: marks the key entered, then waits for its gate (or the token).</summary>
    public Task Pass(int key, CancellationToken cancellationToken = default)
    {
        entered.GetOrAdd(key, New).TrySetResult();
        return open.GetOrAdd(key, New).Task.WaitAsync(cancellationToken);
    }

    public Task Entered(int key) => entered.GetOrAdd(key, New).Task.Within();

    public void Open(int key) => open.GetOrAdd(key, New).TrySetResult();
}
