namespace XaiGrid.Orchestration.Actors;

/// <summary>The part of a reply the actor loop needs to fail it without knowing its type.</summary>
internal interface IReply
{
    bool TrySetException(Exception exception);
}

/// <summary>
/// The answer slot a request message carries (see <see cref="ActorRef{TMessage}.Ask{TReply}"/>): the handler
/// calls <see cref="TrySetResult"/>. If the handler throws, or the request is dead-lettered, the actor loop
/// fails the reply itself, so an ask never waits for an answer that cannot come.
/// </summary>
public sealed class Reply<T> : IReply
{
    // Asynchronous continuations: the asker's code must not run inline on the actor's loop.
    private readonly TaskCompletionSource<T> source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => source.Task;

    public bool TrySetResult(T result) => source.TrySetResult(result);

    public bool TrySetException(Exception exception) => source.TrySetException(exception);
}
