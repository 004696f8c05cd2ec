using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>How the coordinator retries, how long a cell may take, and where it reports progress.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>
    /// Deliveries of a cell in one run before it is recorded failed for good: attempts that threw, and workers lost
    /// while running it (cluster mode's <c>max-deliveries</c>).
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the first retry; it doubles with each further attempt.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A cell a worker holds longer than this counts as a failed delivery and goes to another worker (its worker may
    /// still report it; a result that comes late is kept if the cell is not done by then). Infinite: no limit.
    /// </summary>
    public TimeSpan LongestCell { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Called with the experiment's status when the run starts, at most every <see cref="ProgressInterval"/> as cells finish, and at the end.</summary>
    public Action<StoreStatus>? Progress { get; init; }

    /// <summary>
    /// The least time between two progress reports while cells finish: reading the status scans every cell of the
    /// experiment, too costly to do after each of thousands of quick cells.
    /// </summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where the coordinator says which workers joined, left or were lost (cluster mode); nowhere when null.</summary>
    public TextWriter? Log { get; init; }
}
