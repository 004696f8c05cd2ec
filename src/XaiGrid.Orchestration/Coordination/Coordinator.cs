using System.Diagnostics;
using XaiGrid.Orchestration.Actors;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>Messages to the <see cref="Coordinator"/>.</summary>
public abstract record CoordinatorMessage
{
    public sealed record Dispatch : CoordinatorMessage;

    public sealed record Reported(CellReport Report) : CoordinatorMessage;

    public sealed record Started(CellStarted Cell) : CoordinatorMessage;

    public sealed record RetryDue(string Key) : CoordinatorMessage;
}

/// <summary>How the coordinator retries and where it reports progress.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>Attempts per cell in one run before it is recorded failed for good.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the first retry; it doubles with each further attempt.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Called with the experiment's status when the run starts, at most every <see cref="ProgressInterval"/> as cells finish, and at the end.</summary>
    public Action<StoreStatus>? Progress { get; init; }

    /// <summary>
    /// The least time between two progress reports while cells finish: reading the status scans every cell of the
    /// experiment, too costly to do after each of thousands of quick cells.
    /// </summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// Dispatches the cells of one experiment whose dependencies are done, in planning order, never more than the
/// transport's capacity at once; records what workers report through the <see cref="ResultSink"/>; retries a failing
/// cell with backoff up to <see cref="CoordinatorOptions.MaxAttempts"/> times, then leaves it failed with its error and
/// goes on. When nothing is left to run, cells whose dependencies failed are recorded failed too, and the run completes.
/// </summary>
/// <remarks>
/// Of the cells sent, no more wait for a worker than there are workers seen starting cells (at least one). A broker's
/// queue is first in, first out: filled to the capacity, it made the merge and metric cells that end the explanation
/// stage wait behind a hundred compression cells that had become ready before them. Held here instead, a cell that
/// becomes ready goes out in planning order, while every worker that finishes a cell still finds the next one queued.
/// </remarks>
public sealed class Coordinator : Actor<CoordinatorMessage>
{
    private readonly long experimentId;
    private readonly ResultStore reader;
    private readonly ActorRef<SinkMessage> sink;
    private readonly ICellTransport transport;
    private readonly CoordinatorOptions options;
    private readonly Func<ActorRef<CoordinatorMessage>> self;
    private readonly TaskCompletionSource<bool> finished;
    private readonly Dictionary<string, int> attempts = new();
    private readonly HashSet<string> inFlight = new();
    private readonly HashSet<string> waitingRetry = new();
    private readonly Queue<string> retryNow = new();
    private readonly HashSet<string> unstarted = new();
    private readonly HashSet<string> workers = new();
    private ReadyQueue? ready;
    private long lastProgress;

    public Coordinator(long experimentId, ResultStore reader, ActorRef<SinkMessage> sink, ICellTransport transport,
        CoordinatorOptions options, Func<ActorRef<CoordinatorMessage>> self, TaskCompletionSource<bool> finished)
    {
        this.experimentId = experimentId;
        this.reader = reader;
        this.sink = sink;
        this.transport = transport;
        this.options = options;
        this.self = self;
        this.finished = finished;
    }

    protected internal override async Task HandleAsync(CoordinatorMessage message, CancellationToken cancel)
    {
        switch (message)
        {
            case CoordinatorMessage.Reported reported:
                await Record(reported.Report);
                break;
            case CoordinatorMessage.Started started:
                await Begin(started.Cell);
                break;
            case CoordinatorMessage.RetryDue due:
                waitingRetry.Remove(due.Key);
                retryNow.Enqueue(due.Key);
                break;
        }
        await Fill(cancel);
    }

    /// <summary>A worker began a cell: one fewer waits. A start after the cell's report is stale and ignored.</summary>
    private async Task Begin(CellStarted started)
    {
        if (!inFlight.Contains(started.Key)) return;
        unstarted.Remove(started.Key);
        workers.Add(started.Worker);
        await sink.Ask<bool>(reply => new SinkMessage.StartedBy(started.Key, started.Worker, reply));
    }

    private async Task Record(CellReport report)
    {
        if (!inFlight.Remove(report.Key)) return;
        unstarted.Remove(report.Key);
        await sink.Ask<CompletionStatus>(reply => new SinkMessage.Record(report, reply));
        if (report.Succeeded) Ready.Done(report.Key);
        else
        {
            int attempt = attempts.GetValueOrDefault(report.Key);
            if (attempt < options.MaxAttempts)
            {
                waitingRetry.Add(report.Key);
                var delay = options.Backoff * Math.Pow(2, attempt - 1);
                _ = Task.Delay(delay).ContinueWith(_ => self().Tell(new CoordinatorMessage.RetryDue(report.Key)), TaskScheduler.Default);
            }
        }
        if (options.Progress is { } progress && (lastProgress == 0 || Stopwatch.GetElapsedTime(lastProgress) >= options.ProgressInterval))
        {
            lastProgress = Stopwatch.GetTimestamp();
            progress(reader.Status(experimentId));
        }
    }

    private ReadyQueue Ready => ready ??= new ReadyQueue(reader.Cells(experimentId: experimentId), key => reader.FindCell(key)?.State == CellState.Done);

    private async Task Fill(CancellationToken cancel)
    {
        while (inFlight.Count < transport.Capacity && unstarted.Count < Math.Max(1, workers.Count) && !cancel.IsCancellationRequested
               && Next() is { } key)
            await Send(key, cancel);
        if (inFlight.Count == 0 && waitingRetry.Count == 0 && retryNow.Count == 0 && Ready.Count == 0) await Finish();
    }

    /// <summary>A retry first, then the ready cell planned first.</summary>
    private string? Next() => retryNow.TryDequeue(out var retry) ? retry : Ready.TryTake(out var key) ? key : null;

    private async Task Send(string key, CancellationToken cancel)
    {
        var cell = reader.GetCell(key);
        if (!await sink.Ask<bool>(reply => new SinkMessage.Started(key, null, reply)))
        {
            Ready.Done(key);
            return;
        }
        attempts[key] = attempts.GetValueOrDefault(key) + 1;
        inFlight.Add(key);
        unstarted.Add(key);
        // Executors read their dependencies' scalars and artifacts, never their tables: a training history of
        // thousands of rows, encoded into every cell that depends on the training, made the coordinator's CPU the
        // bottleneck of a cluster run.
        var dependencies = cell.Dependencies.Select(d => new DependencyResult(d, reader.GetCell(d).Kind, reader.Results(d, tables: false))).ToList();
        await transport.SendAsync(new WorkItem(key, cell.Kind, cell.Parameters, dependencies, ""), cancel);
    }

    /// <summary>Cells still pending now wait on a failed cell: they are recorded failed, naming it.</summary>
    private async Task Finish()
    {
        if (finished.Task.IsCompleted) return;
        bool changed;
        do
        {
            changed = false;
            foreach (var cell in reader.Cells(CellState.Pending, experimentId: experimentId))
            {
                var failed = cell.Dependencies.Select(reader.GetCell).FirstOrDefault(d => d.State == CellState.Failed);
                if (failed is null) continue;
                await sink.Ask<CompletionStatus>(reply => new SinkMessage.Fail(cell.Key,
                    $"not run: it depends on {failed.Kind} cell {failed.Key[..12]}, which failed", reply));
                changed = true;
            }
        } while (changed);
        options.Progress?.Invoke(reader.Status(experimentId));
        finished.TrySetResult(true);
    }
}
