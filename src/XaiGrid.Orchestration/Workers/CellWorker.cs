using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Messages;

namespace XaiGrid.Orchestration.Workers;

/// <summary>How a cell worker runs and reports cells.</summary>
/// <param name="Runner">Makes the runner of each instance (a restart makes a fresh one, with fresh caches).</param>
/// <param name="Cancel">Cancelled when the process or run stops: the running cell stops at its next check, unreported.</param>
/// <param name="Log">Where each cell's start and end are written (<c>worker NAME: KIND cell KEY started</c>); none when null.</param>
/// <param name="InlineBytes">
/// A result's artifacts up to this many bytes in all go inline with it; more are streamed in chunks of
/// <paramref name="ChunkBytes"/>. In one process nothing is serialized, and everything goes inline.
/// </param>
public sealed record CellWorkerSettings(Func<ICellRunner> Runner, CancellationToken Cancel, TextWriter? Log = null,
    long InlineBytes = long.MaxValue, int ChunkBytes = 64 << 10);

/// <summary>
/// Runs one cell at a time on a thread of its own (xaigrid.cell-dispatcher): asks the coordinator for a cell when idle,
/// runs it, sends the result, asks again. A cell that throws is not caught: the exception goes to this actor's
/// supervisor, which restarts it (a fresh runner, fresh caches), and the instance that failed tells the coordinator
/// first (<see cref="PreRestart"/>), which retries the cell with backoff or records it failed.
/// </summary>
public sealed class CellWorker : ReceiveActor
{
    /// <summary>Stop asking for cells (the node is stopping); answered with <see cref="Drained"/> once no cell runs here.</summary>
    public sealed record Drain;

    public sealed record Drained(string Worker);

    private sealed record UploadDone(string Key, Exception? Error);

    private readonly string name;
    private readonly IActorRef coordinator;
    private readonly CellWorkerSettings settings;
    private ICellRunner? runner;
    private IActorRef? drainRequester;

    public CellWorker(string name, IActorRef coordinator, CellWorkerSettings settings)
    {
        this.name = name;
        this.coordinator = coordinator;
        this.settings = settings;
        Idle();
    }

    public static Props Props(string name, IActorRef coordinator, CellWorkerSettings settings) =>
        Akka.Actor.Props.Create(() => new CellWorker(name, coordinator, settings)).WithDispatcher("xaigrid.cell-dispatcher");

    private bool Draining => drainRequester is not null;

    private void Idle()
    {
        Receive<RunCell>(Run);
        Receive<Drain>(_ =>
        {
            drainRequester = Sender;
            Sender.Tell(new Drained(name));
        });
    }

    private void Uploading()
    {
        Receive<UploadDone>(done =>
        {
            if (done.Error is { } error) settings.Log?.WriteLine($"worker {name}: uploading cell {done.Key}'s result failed: {error.Message}");
            Become(Idle);
            RequestNext();
        });
        Receive<Drain>(_ => drainRequester = Sender);
    }

    protected override void PreStart()
    {
        runner = settings.Runner();
        RequestNext();
    }

    private void RequestNext()
    {
        if (drainRequester is { } requester) requester.Tell(new Drained(name));
        else coordinator.Tell(new RequestCell(name));
    }

    private void Run(RunCell run)
    {
        var item = run.Item;
        var clock = Stopwatch.StartNew();
        settings.Log?.WriteLine($"worker {name}: {item.Kind} cell {item.Key} started");
        CellOutput output;
        try
        {
            output = runner!.Run(item, settings.Cancel);
        }
        catch (Exception) when (settings.Cancel.IsCancellationRequested)
        {
            // The node or the run is stopping: whatever the cell would still compute cannot be recorded.
            return;
        }
        settings.Log?.WriteLine($"worker {name}: {item.Kind} cell {item.Key} done in {clock.Elapsed.TotalSeconds:F1} s");
        if (Report(item.Key, output) is { } upload)
        {
            Become(Uploading);
            upload.ContinueWith(t => new UploadDone(item.Key, t.Exception?.GetBaseException()), TaskScheduler.Default).PipeTo(Self);
        }
        else RequestNext();
    }

    /// <summary>Sends the result; returns the upload's completion when its artifacts are streamed, else null.</summary>
    private Task? Report(string key, CellOutput output)
    {
        var artifacts = output.Artifacts.Select(a => (a.Key, a.Value)).ToList();
        bool inline = artifacts.Sum(a => (long)a.Value.Bytes.Length) <= settings.InlineBytes;
        // Hashes let the coordinator check what arrived; in one process nothing travels.
        bool hash = settings.InlineBytes != long.MaxValue;
        var described = artifacts.Select(a => new ResultArtifact(a.Key, a.Value.MediaType, a.Value.Bytes.Length,
            hash ? Convert.ToHexStringLower(SHA256.HashData(a.Value.Bytes)) : null, inline ? a.Value.Bytes : null)).ToList();
        if (inline)
        {
            coordinator.Tell(new CellCompleted(key, name, output.Scalars, output.Tables, described, null));
            return null;
        }
        var bytes = artifacts.Select(a => a.Value.Bytes).ToList();
        var (uploaded, source) = Source.From(Chunks(bytes, settings.ChunkBytes))
            .WatchTermination(Keep.Right)
            .ToMaterialized(StreamRefs.SourceRef<ArtifactChunk>(), Keep.Both)
            .Run(Context.Materializer());
        coordinator.Tell(new CellCompleted(key, name, output.Scalars, output.Tables, described, source.GetAwaiter().GetResult()));
        return uploaded;
    }

    /// <summary>The artifacts' bytes one after another, in pieces of at most <paramref name="size"/>.</summary>
    internal static IEnumerable<ArtifactChunk> Chunks(IEnumerable<byte[]> artifacts, int size)
    {
        foreach (var bytes in artifacts)
            for (int at = 0; at < bytes.Length; at += size)
                yield return new ArtifactChunk(bytes.AsSpan(at, Math.Min(size, bytes.Length - at)).ToArray());
    }

    /// <summary>The instance that threw tells the coordinator which cell failed, and why, before it is replaced.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        if (message is RunCell run)
        {
            var error = Describe(reason);
            settings.Log?.WriteLine($"worker {name}: {run.Item.Kind} cell {run.Item.Key} failed: {error}");
            coordinator.Tell(new CellFailed(run.Item.Key, name, error));
        }
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        runner?.Dispose();
        runner = null;
    }

    internal static string Describe(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Describe(a.InnerExceptions[0])
        : $"{e.GetType().Name}: {e.Message}";
}
