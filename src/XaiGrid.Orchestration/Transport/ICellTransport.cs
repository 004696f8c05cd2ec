using XaiGrid.Orchestration.Execution;

namespace XaiGrid.Orchestration.Transport;

/// <summary>
/// How the coordinator hands cells to workers and hears back: worker actors in this process, or RabbitMQ queues to
/// worker processes on any machine. The coordinator never has more than <see cref="Capacity"/> cells out at once, nor
/// more cells waiting for a worker than there are workers (it learns of them from <see cref="CellStarted"/>).
/// </summary>
public interface ICellTransport : IAsyncDisposable
{
    /// <summary>How many cells may be out at once (the worker actors, or the cluster's max_in_flight).</summary>
    int Capacity { get; }

    /// <summary>
    /// Starts delivering reports (finished, failed or interrupted cells) to <paramref name="onReport"/>, and each time a
    /// worker begins a cell, to <paramref name="onStarted"/>.
    /// </summary>
    Task StartAsync(Action<CellReport> onReport, Action<CellStarted> onStarted, CancellationToken cancel);

    /// <summary>Hands one cell to a worker.</summary>
    ValueTask SendAsync(WorkItem item, CancellationToken cancel);
}

/// <summary>
/// What became of a cell: its output, or the error it failed with. A worker that died mid-cell produces no report
/// in cluster mode (RabbitMQ redelivers the cell); in-process the supervisor reports it as an error.
/// </summary>
public sealed record CellReport(string Key, string Worker, CellOutput? Output, string? Error)
{
    public bool Succeeded => Output is not null;
}

/// <summary>A worker began a cell (again, if a worker holding it died).</summary>
public sealed record CellStarted(string Key, string Worker);
