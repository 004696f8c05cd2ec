using System.Threading.Channels;

namespace XaiGrid.Orchestration.Actors;

/// <summary>A message and, for an ask, the reply the loop must fail if the message is never handled.</summary>
internal readonly record struct Envelope<T>(T Message, IReply? Reply);

/// <summary>
/// The queue shared by the loop(s) of one actor or worker pool, and the one place where stopping is decided:
/// closing it refuses new messages, aborting it also cancels the handler and makes the loops leave queued
/// messages behind, and the last loop to exit turns whatever is still queued into dead letters. Because the
/// mailbox outlives actor instances, a restart loses nothing that was queued.
/// </summary>
internal sealed class Mailbox<T>
{
    private readonly Channel<Envelope<T>> channel;
    private readonly CancellationTokenSource aborted = new();
    private readonly CancellationTokenSource closed = new();
    private readonly Action<DeadLetter> deadLetters;
    private readonly Action? messageDone;
    private int liveLoops;

    /// <param name="capacity">null for unbounded; otherwise writers wait (or Tell fails) while it is full.</param>
    /// <param name="loops">how many loops read this mailbox; they must all call <see cref="LoopExited"/>.</param>
    /// <param name="messageDone">called once per message that left the queue, handled or dead-lettered.</param>
    public Mailbox(string name, int? capacity, int loops, Action<DeadLetter> deadLetters, Action? messageDone = null)
    {
        Name = name;
        liveLoops = loops;
        this.deadLetters = deadLetters;
        this.messageDone = messageDone;
        // Synchronous continuations stay off (the default): a Tell must never run the actor's loop inline.
        channel = capacity is { } bound
            ? Channel.CreateBounded<Envelope<T>>(new BoundedChannelOptions(bound)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = loops == 1,
            })
            : Channel.CreateUnbounded<Envelope<T>>(new UnboundedChannelOptions { SingleReader = loops == 1 });
    }

    public string Name { get; }

    public ChannelReader<Envelope<T>> Reader => channel.Reader;

    public bool IsAborted => aborted.IsCancellationRequested;

    public CancellationToken AbortToken => aborted.Token;

    /// <summary>Signalled as soon as the mailbox refuses new messages.</summary>
    public CancellationToken ClosedToken => closed.Token;

    public static Envelope<T> Wrap(T message, IReply? reply = null)
    {
        // `is null` rather than ThrowIfNull(object): no boxing of value-type messages on the hot path.
        if (message is null)
            throw new ArgumentNullException(nameof(message), "actor messages must not be null");
        return new Envelope<T>(message, reply);
    }

    /// <summary>
    /// Never waits. False when the mailbox is full (the caller keeps the message) or closed (the message
    /// becomes a dead letter).
    /// </summary>
    public bool TryPost(Envelope<T> envelope)
    {
        // Close cancels `closed` before it completes the writer. So a write refused for being closed sees it after, and
        // a post in between (e.g. a pool submit woken by the slot an aborted handler freed) is refused before, rather
        // than slipping into a mailbox that is shutting down.
        if (!closed.IsCancellationRequested && channel.Writer.TryWrite(envelope))
            return true;
        if (closed.IsCancellationRequested)
            DeadLetter(envelope);
        return false;
    }

    /// <summary>Waits for room in a bounded mailbox; false (and a dead letter) once it is closed.</summary>
    public async ValueTask<bool> PostAsync(Envelope<T> envelope, CancellationToken cancellationToken)
    {
        try
        {
            await channel.Writer.WriteAsync(envelope, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            DeadLetter(envelope);
            return false;
        }
    }

    public void Close(bool abort)
    {
        // Closed before aborted: an aborted handler frees its pool slot, which a waiting submit must not get.
        // Both before the writer completes: a loop woken by that must already see that it has to leave.
        closed.Cancel();
        if (abort)
            aborted.Cancel();
        channel.Writer.TryComplete();
    }

    public void MessageDone() => messageDone?.Invoke();

    public void LoopExited()
    {
        if (Interlocked.Decrement(ref liveLoops) > 0)
            return;
        Close(abort: false);
        while (channel.Reader.TryRead(out var envelope))
        {
            MessageDone();
            DeadLetter(envelope);
        }
    }

    public void DeadLetter(Envelope<T> envelope)
    {
        envelope.Reply?.TrySetException(new ActorStoppedException(Name));
        deadLetters(new DeadLetter(Name, envelope.Message!));
    }
}
