namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// The sliding window of one loop's recent restarts. Only touched by that loop, so it needs no lock.
/// </summary>
internal sealed class RestartBudget(SupervisorStrategy strategy, TimeProvider time)
{
    private readonly Queue<long> restarts = new();

    /// <summary>Records a restart now, or returns false when the window already holds the maximum.</summary>
    public bool TryTake()
    {
        var now = time.GetTimestamp();
        while (restarts.Count > 0 && time.GetElapsedTime(restarts.Peek(), now) > strategy.Within)
            restarts.Dequeue();
        if (restarts.Count >= strategy.MaxRestarts)
            return false;
        restarts.Enqueue(now);
        return true;
    }
}
