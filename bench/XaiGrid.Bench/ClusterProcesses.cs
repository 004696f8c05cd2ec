using System.Diagnostics;
using System.Runtime.InteropServices;
using RabbitMQ.Client;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Testing;

namespace XaiGrid.Bench;

/// <summary>
/// The xaigrid coordinator and worker processes of one benchmark run, started as a user starts them: the xaigrid
/// scripts/setup.sh published, run from the repository root, each with a config file holding the run's own queue
/// prefix and the broker URL in its environment (credentials never on a command line). On dispose every process still
/// running is killed and the prefix's queues are deleted.
/// </summary>
internal sealed class ClusterProcesses : IAsyncDisposable
{
    /// <summary>The broker of <c>tests/cluster/rabbitmq.sh start</c>.</summary>
    public const string TestBrokerUrl = "amqp://guest:guest@127.0.0.1:5673/";

    /// <summary>The xaigrid users run: as scripts/setup.sh published it.</summary>
    private static readonly string Xaigrid = Measure.RepoFile("build", "xaigrid", "xaigrid.dll");

    /// <summary>Longer than xaigrid takes to start and reach the broker on a loaded machine.</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);

    private readonly string folder, url;
    private readonly ClusterSettings settings;
    private readonly IConnection connection;
    private readonly IChannel channel;
    private readonly List<XaigridProcess> processes = [];

    private ClusterProcesses(string folder, string url, ClusterSettings settings, IConnection connection, IChannel channel)
    {
        this.folder = folder;
        this.url = url;
        this.settings = settings;
        this.connection = connection;
        this.channel = channel;
    }

    /// <summary>
    /// The broker's settings as xaigrid reads them from a config file with only a queue prefix, with
    /// <paramref name="url"/> as <c>XAIGRID_RABBITMQ_URL</c> (the other variables as they are set).
    /// </summary>
    public static ClusterSettings Settings(string url, string prefix) =>
        ClusterSettingsLoader.Parse($"queues:\n  prefix: {prefix}\n", "the benchmark's cluster settings",
            name => name == ClusterSettingsLoader.UrlVariable ? url : Environment.GetEnvironmentVariable(name));

    /// <summary>Connects to the broker and declares a fresh prefix's queues; an unreachable broker's error says what to start.</summary>
    public static async Task<ClusterProcesses> StartAsync(string folder, string url)
    {
        if (!File.Exists(Xaigrid)) throw new InvalidOperationException($"{Xaigrid} is missing: run scripts/setup.sh, which publishes it");
        var settings = Settings(url, $"bench-{Guid.NewGuid():N}"[..18]);
        var connection = await Connect(settings);
        var channel = await connection.CreateChannelAsync();
        // Declared here, as every xaigrid process declares them, so the workers' consumers can be counted before any starts.
        await ClusterQueues.For(settings.Queues).DeclareAsync(channel, settings.Queues, CancellationToken.None);
        return new ClusterProcesses(folder, url, settings, connection, channel);
    }

    /// <summary>Throws, saying what to start, when the broker cannot be reached.</summary>
    public static async Task CheckBroker(string url)
    {
        await using var connection = await Connect(Settings(url, "bench"));
    }

    private static async Task<IConnection> Connect(ClusterSettings settings)
    {
        try
        {
            return await BrokerConnection.OpenAsync(settings, "scale-out benchmark", CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"the scale-out benchmark needs RabbitMQ: {e.Message}. Start the test broker with " +
                $"'tests/cluster/rabbitmq.sh start' (127.0.0.1:5673), or name another with --broker or {ClusterSettingsLoader.UrlVariable} " +
                "(amqp://user:password@host:port/vhost)", e);
        }
    }

    public XaigridProcess Worker(string name)
    {
        var config = Path.Combine(folder, $"worker-{name}.yaml");
        File.WriteAllText(config, $"queues:\n  prefix: {settings.Queues.Prefix}\nworker:\n  name: {name}\n  threads: 1\n");
        return Start(name, "worker", "--config", config);
    }

    public XaigridProcess Coordinator(string experiment, string db)
    {
        var config = Path.Combine(folder, "coordinator.yaml");
        File.WriteAllText(config, $"queues:\n  prefix: {settings.Queues.Prefix}\n");
        return Start("coordinator", "coordinator", experiment, "--config", config, "--db", db);
    }

    private XaigridProcess Start(string name, params string[] args)
    {
        // The dotnet running the benchmark runs xaigrid too; relative data paths in experiments resolve against the repository root.
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Measure.RepoFile(),
        };
        start.ArgumentList.Add(Xaigrid);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment[ClusterSettingsLoader.UrlVariable] = url;
        var process = new XaigridProcess(name, start);
        processes.Add(process);
        return process;
    }

    /// <summary>Waits until <paramref name="count"/> workers consume the work queue, so their start-up is outside every timing.</summary>
    public async Task WaitForConsumers(int count)
    {
        var clock = Stopwatch.StartNew();
        while ((await channel.QueueDeclarePassiveAsync(ClusterQueues.For(settings.Queues).Work)).ConsumerCount < count)
        {
            ThrowIfAnyExited($"{count} workers to consume the work queue");
            if (clock.Elapsed > StartLimit) throw new InvalidOperationException($"no {count} workers consuming after {StartLimit.TotalSeconds} s\n{Transcript()}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits for the process to exit with <paramref name="expected"/>; throws with what every process printed if it exits
    /// otherwise or if another process exits first without having been stopped.
    /// </summary>
    public async Task WaitForExit(XaigridProcess process, int expected)
    {
        while (!await process.WaitForExit(TimeSpan.FromSeconds(1)))
            ThrowIfAnyExited($"{process.Name} to exit");
        if (process.ExitCode != expected) throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode}, not {expected}\n{Transcript()}");
    }

    private void ThrowIfAnyExited(string what)
    {
        if (processes.FirstOrDefault(p => p.HasExited && !p.Stopped) is { } dead)
            throw new InvalidOperationException($"{dead.Name} exited with {dead.ExitCode} while waiting for {what}\n{Transcript()}");
    }

    private string Transcript() => string.Join("\n", processes.Select(p => p.Transcript(40)));

    /// <summary>CPU seconds (user and system) of this process's children that have exited and been reaped.</summary>
    public static double ExitedChildrenCpuSeconds()
    {
        // struct rusage on 64-bit Linux: ru_utime and ru_stime (timeval: seconds, microseconds), then 14 longs.
        var usage = new long[18];
        if (getrusage(RusageChildren, usage) != 0) throw new InvalidOperationException($"getrusage: errno {Marshal.GetLastPInvokeError()}");
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    private const int RusageChildren = -1;

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, [Out] long[] usage);

    public async ValueTask DisposeAsync()
    {
        foreach (var p in processes) p.Dispose();
        await ClusterQueues.For(settings.Queues).DeleteAsync(channel, CancellationToken.None);
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
