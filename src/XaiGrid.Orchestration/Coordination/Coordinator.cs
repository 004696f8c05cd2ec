using System.Diagnostics;
using Akka.Actor;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>
/// Hands out the cells of one experiment to the workers that ask for one (work pulling: a cell goes out only to an
/// idle worker, so cells wait here, in planning order, and no mailbox grows with the plan), records what comes back
/// through the <see cref="ResultSink"/>, and releases a cell's dependents once its result is stored. A cell whose
/// attempt fails (it threw, its worker was lost, it took longer than the longest cell may) is retried with backoff up
/// to <see cref="CoordinatorOptions.MaxAttempts"/> deliveries, then stays failed with its error while the rest goes
/// on. Every worker is watched: one that terminates (a node downed by the split-brain resolver, a stopped actor)
/// gives its cell back. When nothing is left to run, cells whose dependencies failed are recorded failed too, and
/// <c>finished</c> completes.
/// </summary>
public sealed class Coordinator : ReceiveActor, IWithTimers
{
    private sealed record RetryDue(string Key);

    private sealed record CellOverdue(string Key, int Attempt);

    /// <summary>A worker, known from its first request; <see cref="Cell"/> is what it runs, null when idle or between cells.</summary>
    private sealed class Worker(string name)
    {
        public string Name { get; } = name;
        public string? Cell { get; set; }
        public bool Idle { get; set; }
        public bool Leaving { get; set; }
    }

    private readonly long experimentId;
    private readonly string experimentName;
    private readonly string artifactsPath;
    private readonly ResultStore reader;
    private readonly IActorRef sink;
    private readonly CoordinatorOptions options;
    private readonly TaskCompletionSource<bool> finished;
    private readonly Func<CellCompleted, Props>? uploads;
    private readonly Func<Address, bool> admits;
    private readonly Dictionary<IActorRef, Worker> workers = new();
    private readonly Queue<IActorRef> idle = new();
    private readonly Dictionary<string, (IActorRef Worker, int Attempt)> running = new();
    private readonly Dictionary<string, int> attempts = new();
    private readonly HashSet<string> waitingRetry = new();
    private readonly Queue<string> retryNow = new();
    private readonly Dictionary<string, CellRecord> cells = new();
    private readonly Dictionary<string, DependencyResult> results = new();
    private ReadyQueue ready = null!;
    private int recording, uploading;
    private bool finishing;
    private long lastProgress;

    /// <param name="artifactsPath">Where workers of other nodes fetch artifacts (the artifact server's path); "" in one process.</param>
    /// <param name="uploads">Makes the actor that reads a result's streamed artifacts into spool files; null when results always come inline.</param>
    /// <param name="admits">Whether a worker on another node may have cells: in a cluster, only members that are up; null admits all.</param>
    public Coordinator(long experimentId, string experimentName, ResultStore reader, IActorRef sink, CoordinatorOptions options,
        TaskCompletionSource<bool> finished, string artifactsPath = "", Func<CellCompleted, Props>? uploads = null, Func<Address, bool>? admits = null)
    {
        this.admits = admits ?? (_ => true);
        this.experimentId = experimentId;
        this.experimentName = experimentName;
        this.reader = reader;
        this.sink = sink;
        this.options = options;
        this.finished = finished;
        this.artifactsPath = artifactsPath;
        this.uploads = uploads;

        Receive<RegisterWorker>(register =>
        {
            if (!Admitted(Sender)) return;
            Sender.Tell(new WorkerRegistered(experimentName, artifactsPath));
            options.Log?.WriteLine($"coordinator: worker {register.Name} joined from {Sender.Path.Address} ({register.Slots} cells at once)");
        });
        Receive<WorkerLeaving>(leaving =>
        {
            foreach (var worker in workers.Values.Where(w => w.Name == leaving.Name || w.Name.StartsWith(leaving.Name + "/", StringComparison.Ordinal)))
                worker.Leaving = true;
            options.Log?.WriteLine($"coordinator: worker {leaving.Name} is leaving");
        });
        Receive<RequestCell>(request =>
        {
            if (!Admitted(Sender)) return;
            var worker = Known(Sender, request.Worker);
            if (worker.Leaving || worker.Idle) return;
            worker.Idle = true;
            idle.Enqueue(Sender);
            Dispatch();
        });
        Receive<CellCompleted>(completed =>
        {
            Release(completed.Key, Sender);
            if (completed.Upload is null || uploads is null)
                Record(new ResultSink.Record(completed, null));
            else
            {
                uploading++;
                Context.ActorOf(uploads(completed));
            }
        });
        Receive<UploadReceiver.Finished>(upload =>
        {
            uploading--;
            Record(new ResultSink.Record(upload.Completed, upload.Files));
        });
        Receive<UploadReceiver.Failed>(upload =>
        {
            uploading--;
            Fail(upload.Key, upload.Worker, upload.Error);
        });
        Receive<CellFailed>(failed =>
        {
            // A failure of an attempt that is no longer the cell's (it was given up on and sent elsewhere) changes nothing.
            if (Release(failed.Key, Sender)) Fail(failed.Key, failed.Worker, failed.Error);
        });
        Receive<Terminated>(terminated =>
        {
            if (!workers.Remove(terminated.ActorRef, out var worker)) return;
            if (worker.Cell is { } key && Release(key, terminated.ActorRef))
            {
                options.Log?.WriteLine($"coordinator: worker {worker.Name} was lost while running cell {key[..12]}");
                Fail(key, worker.Name, $"worker {worker.Name} was lost while running the cell");
            }
            else options.Log?.WriteLine($"coordinator: worker {worker.Name} left");
            Dispatch();
        });
        Receive<CellOverdue>(overdue =>
        {
            if (!running.TryGetValue(overdue.Key, out var run) || run.Attempt != overdue.Attempt) return;
            var worker = workers.GetValueOrDefault(run.Worker);
            Release(overdue.Key, run.Worker);
            Fail(overdue.Key, worker?.Name ?? "", $"not done after {options.LongestCell} (the longest a cell may take): tried again elsewhere");
        });
        Receive<ResultSink.Recorded>(recorded =>
        {
            recording--;
            if (recorded.Done)
            {
                if (recorded.Results is { } stored && cells.TryGetValue(recorded.Key, out var cell))
                    results[recorded.Key] = new DependencyResult(recorded.Key, cell.Kind, stored);
                ready.Done(recorded.Key);
                waitingRetry.Remove(recorded.Key);
            }
            else if (attempts.GetValueOrDefault(recorded.Key) is var attempt && attempt < options.MaxAttempts)
            {
                waitingRetry.Add(recorded.Key);
                Timers.StartSingleTimer($"retry {recorded.Key}", new RetryDue(recorded.Key), options.Backoff * Math.Pow(2, attempt - 1));
            }
            Progress();
            Dispatch();
        });
        Receive<RetryDue>(due =>
        {
            if (!waitingRetry.Remove(due.Key)) return;
            retryNow.Enqueue(due.Key);
            Dispatch();
        });
        Receive<ResultSink.BlockedFailed>(_ =>
        {
            options.Progress?.Invoke(reader.Status(experimentId));
            finished.TrySetResult(true);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(long experimentId, string experimentName, ResultStore reader, IActorRef sink, CoordinatorOptions options,
        TaskCompletionSource<bool> finished, string artifactsPath = "", Func<CellCompleted, Props>? uploads = null, Func<Address, bool>? admits = null) =>
        Akka.Actor.Props.Create(() => new Coordinator(experimentId, experimentName, reader, sink, options, finished, artifactsPath, uploads, admits));

    /// <summary>A worker of this process, or of a node the cluster has let in.</summary>
    private bool Admitted(IActorRef worker)
    {
        var address = worker.Path.Address;
        if (address.HasLocalScope || admits(address)) return true;
        options.Log?.WriteLine($"coordinator: ignored {worker.Path}: its node is not a member of the cluster");
        return false;
    }

    protected override void PreStart()
    {
        var planned = reader.Cells(experimentId: experimentId);
        foreach (var cell in planned) cells[cell.Key] = cell;
        ready = new ReadyQueue(planned, key => reader.FindCell(key)?.State == CellState.Done);
        Dispatch();
    }

    private Worker Known(IActorRef actor, string name)
    {
        if (workers.TryGetValue(actor, out var worker)) return worker;
        Context.Watch(actor);
        return workers[actor] = new Worker(name);
    }

    /// <summary>The cell is no longer out on <paramref name="actor"/>; false when it was not (a late or stale report).</summary>
    private bool Release(string key, IActorRef actor)
    {
        if (workers.TryGetValue(actor, out var worker) && worker.Cell == key) worker.Cell = null;
        if (!running.TryGetValue(key, out var run) || !run.Worker.Equals(actor)) return false;
        running.Remove(key);
        Timers.Cancel($"overdue {key}");
        return true;
    }

    private void Record(ResultSink.Record record)
    {
        recording++;
        sink.Tell(record);
    }

    private void Fail(string key, string worker, string error)
    {
        recording++;
        sink.Tell(new ResultSink.RecordFailure(key, worker, error));
    }

    /// <summary>Idle workers get the next cells: a retry first, then the ready cell planned first.</summary>
    private void Dispatch()
    {
        while (!finishing && idle.TryPeek(out var actor))
        {
            if (!workers.TryGetValue(actor, out var worker) || !worker.Idle || worker.Leaving)
            {
                idle.Dequeue();
                continue;
            }
            var key = retryNow.TryDequeue(out var retry) ? retry : ready.TryTake(out var next) ? next : null;
            if (key is null) break;
            idle.Dequeue();
            Send(key, actor, worker);
        }
        if (running.Count == 0 && recording == 0 && uploading == 0 && waitingRetry.Count == 0 && retryNow.Count == 0 && ready.Count == 0
            && !finishing)
        {
            finishing = true;
            sink.Tell(new ResultSink.FailBlocked(experimentId));
        }
    }

    private void Send(string key, IActorRef actor, Worker worker)
    {
        var cell = cells.TryGetValue(key, out var known) ? known : reader.GetCell(key);
        // Executors read their dependencies' scalars and artifacts, never their tables: a training history of thousands
        // of rows, sent with every cell that depends on the training, made the coordinator's CPU the bottleneck. What
        // this run recorded is at hand; what an earlier run did is read from the store.
        var dependencies = cell.Dependencies.Select(d => results.TryGetValue(d, out var result) ? result
            : new DependencyResult(d, reader.GetCell(d).Kind, reader.Results(d, tables: false))).ToList();
        int attempt = attempts[key] = attempts.GetValueOrDefault(key) + 1;
        worker.Idle = false;
        worker.Cell = key;
        running[key] = (actor, attempt);
        sink.Tell(new ResultSink.Started(key, worker.Name));
        actor.Tell(new RunCell(new WorkItem(key, cell.Kind, cell.Parameters, dependencies, ""), attempt));
        if (options.LongestCell != Timeout.InfiniteTimeSpan)
            Timers.StartSingleTimer($"overdue {key}", new CellOverdue(key, attempt), options.LongestCell);
    }

    private void Progress()
    {
        if (options.Progress is not { } progress) return;
        if (lastProgress != 0 && Stopwatch.GetElapsedTime(lastProgress) < options.ProgressInterval) return;
        lastProgress = Stopwatch.GetTimestamp();
        progress(reader.Status(experimentId));
    }
}
