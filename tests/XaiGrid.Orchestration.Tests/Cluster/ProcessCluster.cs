using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using XaiGrid.Orchestration.Tests.Runs;
using XaiGrid.Testing;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// The xaigrid processes of one test, on loopback at a port of the test's own: a coordinator (the seed) and workers,
/// each with a config file as a user writes one, with short failure-detection and split-brain timeouts so that a lost
/// node is downed within seconds. Every process still running is killed on dispose, whatever the test did.
/// </summary>
internal sealed class ProcessCluster(string folder) : IDisposable
{
    /// <summary>Longer than any wait here takes on a loaded machine: a hang fails the test with everything the processes printed.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    /// <summary>Failure detection and downing, as a test can afford them; see cluster-config/coordinator.conf.</summary>
    public const string Timeouts = """
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 4s
        akka.cluster.split-brain-resolver.stable-after = 3s
        """;

    private readonly List<XaigridProcess> processes = [];

    public int Port { get; } = FreePort();

    public IReadOnlyList<XaigridProcess> Processes => processes;

    /// <summary>A port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public XaigridProcess Worker(string name, string extra = "", Dictionary<string, string>? environment = null)
    {
        var config = Path.Combine(folder, $"worker-{name}.conf");
        File.WriteAllText(config, $$"""
            xaigrid.worker { coordinator = "127.0.0.1:{{Port}}", name = "{{name}}", threads = 1, rejoin-delay = 500ms }
            {{Timeouts}}
            {{extra}}
            """);
        return Start(name, environment, "worker", "--config", config);
    }

    public XaigridProcess Coordinator(string experiment, string db, string name, string extra = "", Dictionary<string, string>? environment = null)
    {
        var config = Path.Combine(folder, $"{name.Replace(' ', '-')}.conf");
        File.WriteAllText(config, $$"""
            akka.remote.dot-netty.tcp.port = {{Port}}
            xaigrid.coordinator.retry-backoff = 200ms
            {{Timeouts}}
            {{extra}}
            """);
        return Start(name, environment, "coordinator", experiment, "--config", config, "--db", db);
    }

    private XaigridProcess Start(string name, Dictionary<string, string>? environment, params string[] args)
    {
        var start = XaigridProgram.StartInfo(folder, args);
        foreach (var (key, value) in environment ?? []) start.Environment[key] = value;
        var process = new XaigridProcess(name, start);
        processes.Add(process);
        return process;
    }

    /// <summary>Polls until <paramref name="done"/>; fails at once if a process the test did not stop has exited.</summary>
    public async Task Until(Func<bool> done, string what, params XaigridProcess[] mayExit)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (processes.FirstOrDefault(p => p.HasExited && !p.Stopped && !mayExit.Contains(p)) is { } dead)
                Assert.Fail($"{dead.Name} exited while waiting for {what}\n{Transcript()}");
            if (clock.Elapsed > Limit) Assert.Fail($"no {what} after {Limit.TotalSeconds} s\n{Transcript()}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for the process to exit and checks its exit code; either failing shows what every process printed.</summary>
    public async Task AssertExit(XaigridProcess process, int expected)
    {
        if (!await process.WaitForExit(Limit)) Assert.Fail($"{process.Name} did not exit within {Limit.TotalSeconds} s\n{Transcript()}");
        if (process.ExitCode != expected) Assert.Fail($"{process.Name} exited with {process.ExitCode}, expected {expected}\n{Transcript()}");
    }

    /// <summary>Whether the process printed a line containing <paramref name="text"/>.</summary>
    public static bool Printed(XaigridProcess process, string text) => process.Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public string Transcript() => string.Join("\n", processes.Select(p => p.Transcript(300)));

    public void Dispose()
    {
        foreach (var p in processes) p.Dispose();
    }
}
