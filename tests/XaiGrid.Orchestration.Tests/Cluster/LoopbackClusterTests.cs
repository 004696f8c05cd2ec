using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Tests.Runs;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// A coordinator node and two worker nodes in this process, talking over loopback remoting as separate machines would
/// (each its own actor system, artifacts only through the coordinator): the real coordinator, the real cell executors.
/// </summary>
[Collection(RunsCollection.Name)]
public sealed class LoopbackClusterTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>Settings as a file would give them, on <paramref name="port"/>; <paramref name="extra"/> added.</summary>
    internal static ClusterSettings Settings(int port, string? worker = null, string extra = "") => ClusterSettingsLoader.Parse($$"""
        {{(worker is null ? $"akka.remote.dot-netty.tcp.port = {port}" : "")}}
        xaigrid.worker { coordinator = "127.0.0.1:{{port}}", name = "{{worker ?? "none"}}", threads = 1, rejoin-delay = 200ms }
        xaigrid.coordinator.retry-backoff = 100ms
        {{ProcessCluster.Timeouts}}
        {{extra}}
        """, "test settings", _ => null);

    private static async Task<(RunSummary Summary, List<string> Log)> RunCluster(string experiment, string db, string extra = "")
    {
        int port = ProcessCluster.FreePort();
        var log = new List<string>();
        var writer = new LogWriter(log);
        using var stop = new CancellationTokenSource();
        var workers = new[] { "one", "two" }
            .Select(name => Task.Run(() => WorkerHost.RunAsync(Settings(port, name, extra), runners: null, writer, stop.Token))).ToList();
        try
        {
            var summary = await ClusterCoordinator.RunAsync(experiment, ExperimentRunner.Plan(experiment), db, Settings(port, extra: extra),
                new CoordinatorOptions { Log = writer }).WaitAsync(Limit);
            return (summary, log);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(Limit);
        }
    }

    [Fact]
    public async Task The_tiny_experiment_stores_exactly_what_the_in_process_run_stores_with_every_artifact_streamed_both_ways()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var plan = ExperimentRunner.Plan(experiment);
        var local = folder.File("local.db");
        var cluster = folder.File("cluster.db");
        await Runs.Runs.RunAsync(experiment, local, workers: 1);

        // Nothing inline: weights and maps travel as streams of 4 KiB chunks, to the coordinator and back to workers.
        var (summary, log) = await RunCluster(experiment, cluster, "xaigrid.artifacts { inline-limit = 0, chunk-size = 4KiB }");

        Assert.Equal(new CellCounts(0, 0, TinyExperiment.CellCount, 0), summary.Status.Cells);
        Runs.Runs.AssertSameResults(local, cluster, plan);
        // Only the two workers ran cells. On a fast machine the first to join may run all 32 (7 s) before the other
        // has joined, so neither "both ran cells" nor "both registered" is asserted; the process tests have both.
        Assert.Subset(new HashSet<string> { "one", "two" }, Runs.Runs.Cells(cluster).Select(c => c.Worker!).ToHashSet());
        Assert.All(Runs.Runs.Executions(cluster, plan).Values, e => Assert.Equal(ExecutionOutcome.Ok, Assert.Single(e).Outcome));
        lock (log) Assert.InRange(log.Count(l => l.Contains("registered with the coordinator of tiny")), 1, 2);
    }

    /// <summary>
    /// A compression job at a layer the network does not have: its influence partials throw on whichever worker runs
    /// them; each throw restarts that cell worker (Akka supervision) and comes back to the coordinator as a failed
    /// attempt, until max-deliveries; then the partials are failed with the error, their dependents naming them.
    /// </summary>
    [Fact]
    public async Task A_cell_that_throws_every_time_is_recorded_failed_with_its_error_after_max_deliveries()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path, TinyExperiment.BrokenLayerYaml, "broken.yaml");
        var db = folder.File("broken.db");

        var (summary, log) = await RunCluster(experiment, db, "xaigrid.coordinator.max-deliveries = 2");

        Assert.Equal(new CellCounts(0, 0, 1, 7), summary.Status.Cells);
        var cells = Runs.Runs.Cells(db);
        var partials = cells.Where(c => c.Kind == CellKinds.InfluencePartial).ToList();
        Assert.All(partials, p => Assert.Equal((CellState.Failed, 2), (p.State, p.Attempts)));
        Assert.All(partials, p => Assert.StartsWith("ArgumentException: mnist1d-cnn has no layer 'conv9'", p.Error));
        Assert.All(cells.Where(c => c.Kind == CellKinds.CompressionPoint), c => Assert.StartsWith("not run: it depends on merge-influence cell", c.Error));
        lock (log) Assert.Equal(4, log.Count(l => l.Contains("influence-partial cell") && l.Contains("failed: ArgumentException")));
    }

    /// <summary>A thread-safe writer into a list of lines.</summary>
    private sealed class LogWriter(List<string> lines) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            lock (lines) lines.Add(value ?? "");
        }
    }
}
