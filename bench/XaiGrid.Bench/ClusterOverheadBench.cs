using System.Diagnostics;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Testing;

namespace XaiGrid.Bench;

/// <summary>
/// What cluster mode costs per cell when cells do nothing: the plan of <see cref="OrchestrationBench"/> run by a
/// coordinator node in this process (ClusterCoordinator: result sink, store, artifact server) on worker nodes that are
/// processes of their own (this program's <c>noop-worker</c>: the real WorkerHost, WorkerNode and cell workers, with a
/// runner that returns an empty output), over loopback remoting. The workers are started once and join each
/// repetition's coordinator; a repetition is timed from the moment every worker has registered to the run's end, and
/// each starts from a fresh database. Printed: the median wall time per cell.
/// </summary>
public static class ClusterOverheadBench
{
    public const string Usage = "[--cells 2000] [--job 20] [--workers 2] [--reps 3]";

    public static int Run(string[] args)
    {
        var flags = OrchestrationBench.Flags(args, Usage, "--cells", "--job", "--workers", "--reps");
        int cells = flags.GetValueOrDefault("--cells", 2000), job = flags.GetValueOrDefault("--job", 20);
        int workerCount = flags.GetValueOrDefault("--workers", 2), reps = flags.GetValueOrDefault("--reps", 3);
        var plan = OrchestrationBench.Plan(cells, job);
        int port = ClusterProcesses.FreePort();
        var folder = Directory.CreateTempSubdirectory("xaigrid-bench-");
        var workers = Enumerable.Range(1, workerCount).Select(i => NoopWorker(port, $"w{i}", workerCount)).ToList();
        try
        {
            Console.WriteLine($"cluster overhead: {plan.Cells.Count} no-op cells in jobs of {job - 1} partials + 1 merge, coordinator node in this process, " +
                $"{workerCount} worker node processes, loopback");
            Console.WriteLine($"median of {reps} runs (after 1 warm-up), ms per cell from all workers registered to the end (min-max); load average 1 min (before, after)");
            string loadBefore = Measure.LoadAverage();
            var runs = Enumerable.Range(0, reps + 1).Select(_ => Time(plan, folder.FullName, port, workerCount)).Skip(1).ToList();
            var perCell = runs.Select(r => r / plan.Cells.Count * 1e3).ToList();
            Console.WriteLine($"{Measure.Median(perCell):F3} ({perCell.Min():F3}-{perCell.Max():F3})  {loadBefore}, {Measure.LoadAverage()}");
            return 0;
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Members come up only once every worker has joined (min-nr-of-members): no cell goes out to one worker alone.</summary>
    private static ClusterSettings Settings(int port, string? worker, int workers) => ClusterSettingsLoader.Parse(
        (worker is null ? $"akka.remote.dot-netty.tcp.port = {port}\n" : "") +
        $"akka.cluster.min-nr-of-members = {workers + 1}\n" +
        $"xaigrid.worker {{ coordinator = \"127.0.0.1:{port}\", name = \"{worker ?? "none"}\", rejoin-delay = 200ms }}\n", "the benchmark's settings");

    private static double Time(ExperimentPlan plan, string folder, int port, int workers)
    {
        var experiment = Path.Combine(folder, "bench.yaml");
        File.WriteAllText(experiment, $"name: {plan.Experiment}\n");
        var db = Path.Combine(folder, $"bench-{Guid.NewGuid():N}.db");
        int joined = 0;
        long allJoined = 0;
        var log = new Joins(() =>
        {
            if (Interlocked.Increment(ref joined) == workers) Volatile.Write(ref allJoined, Stopwatch.GetTimestamp());
        });
        var summary = ClusterCoordinator.RunAsync(experiment, plan, db, Settings(port, null, workers), new CoordinatorOptions { Log = log }).GetAwaiter().GetResult();
        long end = Stopwatch.GetTimestamp();
        if (summary.Status.Cells.Done != plan.Cells.Count)
            throw new InvalidOperationException($"only {summary.Status.Cells.Done} of {plan.Cells.Count} cells are done");
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(db + suffix);
        if (Volatile.Read(ref allJoined) == 0) throw new InvalidOperationException($"only {joined} of {workers} workers registered");
        return Stopwatch.GetElapsedTime(Volatile.Read(ref allJoined), end).TotalSeconds;
    }

    /// <summary>Calls back on each "worker NAME joined" line of the coordinator's log.</summary>
    private sealed class Joins(Action joined) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            if (value?.Contains(" joined from ", StringComparison.Ordinal) == true) joined();
        }
    }

    private static XaigridProcess NoopWorker(int port, string name, int workers)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { typeof(ClusterOverheadBench).Assembly.Location, "noop-worker", port.ToString(), name, workers.ToString() })
            start.ArgumentList.Add(a);
        return new XaigridProcess(name, start);
    }

    /// <summary><c>noop-worker PORT NAME WORKERS</c>: a worker node whose cells do nothing, until the benchmark kills it.</summary>
    public static int Worker(string[] args)
    {
        if (args.Length != 3 || !int.TryParse(args[0], out var port) || !int.TryParse(args[2], out var workers))
            throw new ArgumentException("noop-worker PORT NAME WORKERS");
        WorkerHost.RunAsync(Settings(port, args[1], workers), _ => new DelegateCellRunner(_ => new CellOutput()), log: null, CancellationToken.None)
            .GetAwaiter().GetResult();
        return 0;
    }
}
