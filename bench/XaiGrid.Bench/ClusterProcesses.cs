using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using XaiGrid.Testing;

namespace XaiGrid.Bench;

/// <summary>
/// The xaigrid coordinator and worker processes of one benchmark run, started as a user starts them: the xaigrid
/// scripts/setup.sh published, run from the repository root, each with a config file naming the coordinator's port
/// (one of the run's own, on loopback). On dispose every process still running is killed.
/// </summary>
internal sealed class ClusterProcesses : IAsyncDisposable
{
    /// <summary>The xaigrid users run: as scripts/setup.sh published it.</summary>
    private static readonly string Xaigrid = Measure.RepoFile("build", "xaigrid", "xaigrid.dll");

    /// <summary>Longer than xaigrid takes to start on a loaded machine.</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);

    private readonly string folder;
    private readonly List<XaigridProcess> processes = [];

    private ClusterProcesses(string folder)
    {
        this.folder = folder;
    }

    /// <summary>The coordinator's port: free when the run starts.</summary>
    public int Port { get; } = FreePort();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task<ClusterProcesses> StartAsync(string folder)
    {
        if (!File.Exists(Xaigrid)) throw new InvalidOperationException($"{Xaigrid} is missing: run scripts/setup.sh, which publishes it");
        return Task.FromResult(new ClusterProcesses(folder));
    }

    public XaigridProcess Worker(string name)
    {
        var config = Path.Combine(folder, $"worker-{name}.conf");
        File.WriteAllText(config, $"xaigrid.worker {{ coordinator = \"127.0.0.1:{Port}\", name = {name}, threads = 1 }}\n");
        return Start(name, "worker", "--config", config);
    }

    public XaigridProcess Coordinator(string experiment, string db)
    {
        var config = Path.Combine(folder, "coordinator.conf");
        File.WriteAllText(config, $"akka.remote.dot-netty.tcp.port = {Port}\n");
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
        var process = new XaigridProcess(name, start);
        processes.Add(process);
        return process;
    }

    /// <summary>Waits until every worker has started its node (it then joins as soon as the coordinator listens).</summary>
    public async Task WaitForWorkers(IEnumerable<XaigridProcess> workers)
    {
        var clock = Stopwatch.StartNew();
        while (!workers.All(w => w.Lines.Any(l => l.Contains("joining the coordinator", StringComparison.Ordinal))))
        {
            ThrowIfAnyExited("the workers to start");
            if (clock.Elapsed > StartLimit) throw new InvalidOperationException($"the workers did not start within {StartLimit.TotalSeconds} s\n{Transcript()}");
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
            ThrowIfAnyExited($"{process.Name} to exit", process);
        if (process.ExitCode != expected) throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode}, not {expected}\n{Transcript()}");
    }

    /// <summary>The coordinator exits by itself when its run is over: it is done, not dead.</summary>
    public void Finished(XaigridProcess process) => finished.Add(process);

    private readonly HashSet<XaigridProcess> finished = [];

    private void ThrowIfAnyExited(string what, XaigridProcess? awaited = null)
    {
        if (processes.FirstOrDefault(p => p.HasExited && !p.Stopped && p != awaited && !finished.Contains(p)) is { } dead)
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

    public ValueTask DisposeAsync()
    {
        foreach (var p in processes) p.Dispose();
        return ValueTask.CompletedTask;
    }
}
