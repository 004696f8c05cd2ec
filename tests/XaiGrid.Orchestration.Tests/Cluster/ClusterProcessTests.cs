using System.Diagnostics;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Tests.Runs;
using XaiGrid.Store;
using XaiGrid.Testing;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// Cluster mode as deployed: a coordinator and two workers, each an xaigrid process, through the test broker on
/// loopback. A worker killed (SIGKILL) in the middle of a cell, or the coordinator killed mid-run and started again on
/// its store, loses nothing and computes no done cell again, and the store ends up holding bit for bit what the
/// in-process run stores. In the runs collection: other tests' CPU load next to these would only slow them down.
/// </summary>
[Collection(RunsCollection.Name)]
public sealed partial class ClusterProcessTests(ClusterProcessTests.InProcessRun reference) : BrokerTest, IClassFixture<ClusterProcessTests.InProcessRun>
{
    /// <summary>
    /// The tiny experiment with training long enough (1500 steps, a second or more) to kill a worker in the middle of
    /// it, and RISE with 80000 masks in cells of 20000: 12 partials of tenths of a second each, still under way when
    /// the coordinator is killed after the first cells after training are done.
    /// </summary>
    private static readonly string Yaml = TinyExperiment.With(TinyExperiment.With(TinyExperiment.With(TinyExperiment.Yaml,
        "steps: 200", "steps: 1500"), "masks: 64", "masks: 80000"), "samples_per_cell: 32", "samples_per_cell: 20000");

    /// <summary>The experiment, planned, and what an in-process run (as <c>xaigrid run</c> does it) stores for it; run once for both tests.</summary>
    public sealed class InProcessRun : IAsyncLifetime
    {
        private readonly TempFolder folder = new();

        public string Experiment { get; private set; } = "";
        public ExperimentPlan Plan { get; private set; } = null!;
        public string Db => folder.File("in-process.db");

        public async Task InitializeAsync()
        {
            Experiment = TinyExperiment.Write(folder.Path, Yaml);
            Plan = ExperimentRunner.Plan(Experiment);
            Assert.Equal(TinyExperiment.CellCount - 6 + 12, Plan.Cells.Count);
            var summary = await Runs.Runs.RunAsync(Experiment, Db, workers: 1);
            Assert.Equal(Plan.Cells.Count, summary.Status.Cells.Done);
        }

        public Task DisposeAsync()
        {
            folder.Dispose();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_worker_process_killed_mid_cell_leaves_the_cell_to_the_other_and_the_results_equal_the_in_process_run()
    {
        using var folder = new TempFolder();
        using var cluster = new ProcessCluster(folder.Path, Url, Prefix);
        var plan = reference.Plan;
        var db = folder.File("cluster.db");
        var workers = new[] { cluster.Worker("one"), cluster.Worker("two") };
        var coordinator = cluster.Coordinator(reference.Experiment, db, "coordinator");

        // Training is the only cell until it is done, so the worker that logs its start holds it and nothing else.
        var train = plan.Cells.Single(c => c.Kind == "train").Key;
        await cluster.Until(() => workers.Any(w => w.Started.Contains(train)), "a worker to start the training cell");
        var killed = workers.First(w => w.Started.Contains(train));
        var survivor = workers.Single(w => w != killed);
        killed.Kill();
        // 128 + SIGKILL: it died by the kill, not by itself.
        await cluster.AssertExit(killed, 128 + 9);
        Assert.DoesNotContain(train, killed.Done);

        await cluster.AssertExit(coordinator, 0);
        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), Runs.Runs.Counts(db));
        // The coordinator never hears of the killed attempt: the broker gave the cell to the survivor, whose result is
        // the cell's one execution. Every other cell too was executed once, all by the survivor.
        var executions = Runs.Runs.Executions(db, plan);
        Assert.All(executions.Values, e => Assert.Equal(ExecutionOutcome.Ok, Assert.Single(e).Outcome));
        Assert.All(executions.Values, e => Assert.Equal(survivor.Name, e.Single().Worker));
        Runs.Runs.AssertSameResults(reference.Db, db, plan);

        // SIGTERM: the survivor, idle now, stops cleanly.
        Assert.False(survivor.HasExited, cluster.Transcript());
        survivor.Terminate();
        await cluster.AssertExit(survivor, 0);
        // Read once it has exited, so its log is complete: it started every cell once, the killed one only training.
        Assert.Equal(plan.Cells.Select(c => c.Key).Order(), survivor.Started.Order());
        Assert.Equal([train], killed.Started);
    }

    [Fact]
    public async Task A_coordinator_process_killed_mid_run_and_started_again_on_its_store_resumes_and_the_results_equal_the_in_process_run()
    {
        using var folder = new TempFolder();
        using var cluster = new ProcessCluster(folder.Path, Url, Prefix);
        var plan = reference.Plan;
        var db = folder.File("cluster.db");
        var workers = new[] { cluster.Worker("one"), cluster.Worker("two") };
        var first = cluster.Coordinator(reference.Experiment, db, "first coordinator");

        // Training and one more cell done: the RISE partials, seconds of work in all, are still queued or running.
        await cluster.Until(() => Runs.Runs.Counts(db).Done >= 2, "two cells to be done");
        first.Kill();
        await cluster.AssertExit(first, 128 + 9);
        var stopped = Runs.Runs.Cells(db);
        var before = Runs.Runs.Executions(db, plan);
        Assert.DoesNotContain(stopped, c => c.State == CellState.Failed);
        Assert.InRange(stopped.Count(c => c.State == CellState.Done), 2, plan.Cells.Count - 1);

        var second = cluster.Coordinator(reference.Experiment, db, "second coordinator");
        await cluster.AssertExit(second, 0);
        using (var store = ResultStore.OpenReadOnly(db))
            Runs.Runs.AssertResumed(db, plan, stopped, before, store.Status());
        Runs.Runs.AssertSameResults(reference.Db, db, plan);

        // The workers served both coordinators, and stop cleanly on SIGTERM (after any cell they are still running).
        Assert.All(workers, w => Assert.False(w.HasExited, cluster.Transcript()));
        foreach (var w in workers) w.Terminate();
        foreach (var w in workers) await cluster.AssertExit(w, 0);
        // Not even a worker ran a cell done before the kill again (as it would a copy the first coordinator left queued).
        var started = workers.SelectMany(w => w.Started).ToList();
        Assert.All(stopped.Where(c => c.State == CellState.Done), c => Assert.Equal(1, started.Count(k => k == c.Key)));
    }

    /// <summary>
    /// The xaigrid processes of one test, on the test broker with the test's own queue prefix (in each one's config file,
    /// the broker URL in its environment); every one still running is killed on dispose, whatever the test did.
    /// </summary>
    private sealed class ProcessCluster(string folder, string brokerUrl, string prefix) : IDisposable
    {
        /// <summary>Longer than any wait here takes on a loaded machine: a hang fails the test with everything the processes printed.</summary>
        private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

        private readonly List<XaigridProcess> processes = [];

        public XaigridProcess Worker(string name)
        {
            var config = Path.Combine(folder, $"worker-{name}.yaml");
            File.WriteAllText(config, $"queues:\n  prefix: {prefix}\nworker:\n  name: {name}\n  threads: 1\n");
            return Start(name, "worker", "--config", config);
        }

        public XaigridProcess Coordinator(string experiment, string db, string name)
        {
            var config = Path.Combine(folder, "coordinator.yaml");
            File.WriteAllText(config, $"queues:\n  prefix: {prefix}\n");
            return Start(name, "coordinator", experiment, "--config", config, "--db", db);
        }

        private XaigridProcess Start(string name, params string[] args)
        {
            var start = XaigridProgram.StartInfo(folder, args);
            start.Environment[ClusterSettingsLoader.UrlVariable] = brokerUrl;
            var process = new XaigridProcess(name, start);
            processes.Add(process);
            return process;
        }

        /// <summary>Polls until <paramref name="done"/>; fails at once if a process the test did not stop has exited.</summary>
        public async Task Until(Func<bool> done, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!done())
            {
                if (processes.FirstOrDefault(p => p.HasExited && !p.Stopped) is { } dead)
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

        public string Transcript() => string.Join("\n", processes.Select(p => p.Transcript()));

        public void Dispose()
        {
            foreach (var p in processes) p.Dispose();
        }
    }
}
