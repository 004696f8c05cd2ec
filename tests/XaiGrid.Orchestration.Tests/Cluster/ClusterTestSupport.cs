using System.Collections.Concurrent;
using RabbitMQ.Client;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// The test broker (tests/cluster/rabbitmq.sh start, or XAIGRID_RABBITMQ_URL) and a queue prefix of this test's own,
/// whose queues are deleted afterwards. An unreachable broker fails the test with how to start one.
/// </summary>
public abstract class BrokerTest : IAsyncLifetime
{
    public const string DefaultUrl = "amqp://guest:guest@127.0.0.1:5673/";

    protected static string Url => Environment.GetEnvironmentVariable(ClusterSettingsLoader.UrlVariable) is { Length: > 0 } url ? url : DefaultUrl;

    protected string Prefix { get; } = $"test-{Guid.NewGuid():N}"[..17];

    /// <summary>Settings as loaded from an empty file with the broker URL in the environment.</summary>
    protected ClusterSettings Settings(int maxDeliveries = 3, int maxMessageBytes = 64 << 20, string worker = "w", int concurrent = 1, int prefetch = 1)
    {
        var loaded = ClusterSettingsLoader.Parse("", "test settings", name => name == ClusterSettingsLoader.UrlVariable ? Url : null);
        return loaded with
        {
            Queues = loaded.Queues with { Prefix = Prefix, MaxDeliveries = maxDeliveries, MaxMessageBytes = maxMessageBytes },
            Worker = loaded.Worker with { Name = worker, ConcurrentCells = concurrent, Prefetch = prefetch, ArtifactTimeout = TimeSpan.FromSeconds(30) },
            Coordinator = new CoordinatorSettings { MaxInFlight = 64 },
        };
    }

    public async Task InitializeAsync()
    {
        try
        {
            await using var connection = await BrokerConnection.OpenAsync(Settings(), "test probe", CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"the cluster tests need RabbitMQ: {e.Message}. Start the test broker with " +
                $"'tests/cluster/rabbitmq.sh start' (listens on 127.0.0.1:5673), or point {ClusterSettingsLoader.UrlVariable} at one.", e);
        }
    }

    public async Task DisposeAsync()
    {
        await using var connection = await BrokerConnection.OpenAsync(Settings(), "test cleanup", CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        await ClusterQueues.For(Settings().Queues).DeleteAsync(channel, CancellationToken.None);
    }

    /// <summary>Messages waiting in a queue (not counting ones delivered and unacknowledged).</summary>
    protected async Task<uint> Waiting(string queue)
    {
        await using var connection = await BrokerConnection.OpenAsync(Settings(), "test probe", CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Starts a worker (with the real cell executors when <paramref name="runners"/> is null); its task ends when it stops.</summary>
    protected static async Task<(ClusterWorker Worker, Task Run, CancellationTokenSource Stop)> StartWorker(ClusterSettings settings,
        Func<IArtifactSource, ICellRunner>? runners)
    {
        var worker = new ClusterWorker(settings, runners);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => worker.RunAsync(stop.Token));
        await Task.WhenAny(worker.Ready, run).WaitAsync(Patience);
        if (run.IsFaulted) await run;
        return (worker, run, stop);
    }
}

/// <summary>A cell runner made of a function.</summary>
public sealed class DelegateRunner(IArtifactSource artifacts, Func<WorkItem, IArtifactSource, CancellationToken, CellOutput> run) : ICellRunner
{
    public CellOutput Run(WorkItem item, CancellationToken cancel) => run(item, artifacts, cancel);

    public void Dispose() { }
}

/// <summary>Reports as they arrive, with waiting for a condition on them.</summary>
public sealed class ReportLog
{
    private readonly ConcurrentQueue<CellReport> reports = new();
    private readonly SemaphoreSlim arrived = new(0);

    public void Add(CellReport report)
    {
        reports.Enqueue(report);
        arrived.Release();
    }

    public IReadOnlyList<CellReport> All => reports.ToList();

    public async Task<IReadOnlyList<CellReport>> WaitFor(Func<IReadOnlyList<CellReport>, bool> done, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        while (!done(All))
        {
            try
            {
                await arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"after {patience.TotalSeconds} s, {reports.Count} reports: " +
                    string.Join("; ", All.Select(r => $"{r.Key[..8]} {r.Worker} {r.Error ?? "ok"}")));
            }
        }
        return All;
    }
}

/// <summary>Artifacts in memory, as the coordinator's store would answer them.</summary>
public sealed class MemoryArtifacts(IReadOnlyDictionary<string, byte[]> blobs) : IArtifactSource
{
    public int Requests;

    public byte[] Get(string hash)
    {
        Interlocked.Increment(ref Requests);
        return blobs.TryGetValue(hash, out var bytes) ? bytes : throw new KeyNotFoundException($"no artifact {hash}");
    }
}
