using System.Collections.Concurrent;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Store;
using CellSpec = XaiGrid.Orchestration.Planning.CellSpec;

namespace XaiGrid.Orchestration.Tests.Runs;

/// <summary>
/// A failing cell is retried with backoff, then recorded failed with its error, and its dependents are recorded
/// failed naming it, while the rest of the experiment completes; a crashed worker is replaced and its cell retried.
/// Execution is stood in for here (<see cref="Runs.Nothing"/>), except where the xaigrid program runs a broken experiment.
/// </summary>
[Collection(RunsCollection.Name)]
public class FailureTests
{
    private static string Method(CellSpec cell) => cell.ParameterObject()["method"]?.GetValue<string>() ?? "";

    [Fact]
    public async Task FailingCellIsRetriedWithBackoffThenFailedAndItsDependentsNameIt()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var db = folder.File("failing.db");
        var plan = ExperimentRunner.Plan(experiment);
        var poisoned = plan.Cells.First(c => c.Kind == CellKinds.ExplainPartial && Method(c) == "smoothgrad");
        var ran = new ConcurrentBag<string>();
        CellOutput Execute(WorkItem item)
        {
            ran.Add(item.Key);
            return item.Key == poisoned.Key ? throw new InvalidDataException("the poisoned cell") : new CellOutput();
        }
        var backoff = TimeSpan.FromMilliseconds(100);
        var options = new CoordinatorOptions { MaxAttempts = 3, Backoff = backoff };

        var summary = await Runs.RunAsync(experiment, db, workers: 2, Execute, options);

        Assert.False(summary.Interrupted);
        var cells = Runs.Cells(db).ToDictionary(c => c.Key);
        var failed = cells[poisoned.Key];
        Assert.Equal((CellState.Failed, 3), (failed.State, failed.Attempts));
        Assert.Equal("InvalidDataException: the poisoned cell", failed.Error);
        var attempts = Runs.Executions(db, plan)[poisoned.Key];
        Assert.All(attempts, a => Assert.Equal((ExecutionOutcome.Error, "InvalidDataException: the poisoned cell"), (a.Outcome, a.Error)));
        Assert.Equal(3, ran.Count(k => k == poisoned.Key));
        // Attempt k + 1 starts backoff x 2^(k-1) after attempt k failed: 100 ms, then 200 ms. The slack covers the
        // store's whole-ms timestamps and .NET timers, which run on a coarse clock and may fire a few ms early.
        for (int k = 1; k < attempts.Count; k++)
            Assert.True(attempts[k].Started - attempts[k - 1].Finished!.Value >= backoff * Math.Pow(2, k - 1) - TimeSpan.FromMilliseconds(10),
                $"attempt {k + 1} started {(attempts[k].Started - attempts[k - 1].Finished!.Value).TotalMilliseconds} ms after attempt {k} failed");

        // The smoothgrad merge names the partial; the smoothgrad drop-increase names the merge. Neither ran.
        var merge = plan.Cells.Single(c => c.Kind == CellKinds.MergeMaps && Method(c) == "smoothgrad");
        var metric = plan.Cells.Single(c => c.Kind == "drop-increase" && Method(c) == "smoothgrad");
        Assert.Equal([poisoned.Key, merge.Key, metric.Key], TestSupport.Downstream(plan, [poisoned.Key]).Order());
        Assert.Equal($"not run: it depends on explain-partial cell {poisoned.Key[..12]}, which failed", cells[merge.Key].Error);
        Assert.Equal($"not run: it depends on merge-maps cell {merge.Key[..12]}, which failed", cells[metric.Key].Error);
        Assert.DoesNotContain(merge.Key, ran);
        Assert.DoesNotContain(metric.Key, ran);
        Assert.Equal(CellState.Failed, cells[merge.Key].State);
        Assert.Equal(CellState.Failed, cells[metric.Key].State);

        // Everything else ran once and is done.
        Assert.Equal(new CellCounts(0, 0, 23, 3), summary.Status.Cells);
        Assert.All(cells.Values.Where(c => c.State == CellState.Done), c => Assert.Equal(1, ran.Count(k => k == c.Key)));

        // Run again once the cause is gone: the three failed cells run, once each, and nothing else.
        var before = Runs.Executions(db, plan);
        var again = await Runs.RunAsync(experiment, db, workers: 2, Runs.Nothing, options);
        Assert.Equal(new CellCounts(0, 0, 26, 0), again.Status.Cells);
        var after = Runs.Executions(db, plan);
        var added = Runs.Added(before, after);
        Assert.Equal(new[] { poisoned.Key, merge.Key, metric.Key }.Order(), added.Keys.Order());
        Runs.AssertOnceEach(added, after);
    }

    /// <summary>
    /// A worker actor that throws is restarted by its supervisor (Akka's OneForOneStrategy in the worker pool): the
    /// instance that failed tells the coordinator, which retries the cell after its backoff on whichever worker asks
    /// next, here the restarted one (the only one), under the same name. Nothing else runs twice.
    /// </summary>
    [Fact]
    public async Task CrashedWorkerIsRestartedAndItsCellRetried()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var db = folder.File("crash.db");
        var plan = ExperimentRunner.Plan(experiment);
        var victim = plan.Cells.First(c => c.Kind == CellKinds.ExplainPartial && Method(c) == "rise");
        int crashes = 0;
        CellOutput Execute(WorkItem item) =>
            item.Key == victim.Key && Interlocked.Increment(ref crashes) == 1 ? throw new OutOfMemoryException("simulated") : new CellOutput();

        var summary = await Runs.RunAsync(experiment, db, workers: 1, Execute, new CoordinatorOptions { Backoff = TimeSpan.FromMilliseconds(10) });

        Assert.Equal(new CellCounts(0, 0, 26, 0), summary.Status.Cells);
        Assert.Equal(27, summary.Status.Computed);
        var attempts = Runs.Executions(db, plan)[victim.Key];
        Assert.Equal(2, attempts.Count);
        Assert.Equal((ExecutionOutcome.Error, "OutOfMemoryException: simulated", "worker-1"), (attempts[0].Outcome, attempts[0].Error, attempts[0].Worker));
        Assert.Equal((ExecutionOutcome.Ok, "worker-1"), (attempts[1].Outcome, attempts[1].Worker));
        // Every other cell ran once, with an ok outcome.
        Assert.All(Runs.Executions(db, plan).Where(p => p.Key != victim.Key), p => Assert.Equal(ExecutionOutcome.Ok, Assert.Single(p.Value).Outcome));
        Assert.Equal(2, crashes);
    }

    /// <summary>
    /// Through the program: a compression job at a layer the network does not have fails at execution (the loader
    /// cannot know the layers). Its influence partials fail with the network's error after --max-attempts attempts,
    /// the merge and the compression points fail naming what they waited on, training completes, and the exit code is 1.
    /// </summary>
    [Fact]
    public void ProgramExitsWithOneWhenCellsFail()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path, TinyExperiment.BrokenLayerYaml, "broken.yaml");
        var db = folder.File("broken.db");

        var (exit, stdout, stderr) = XaigridProgram.Run(folder.Path, "run", experiment, "--db", db, "--max-attempts", "2");

        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("1 done, 7 failed, 0 left;", stdout);
        var cells = Runs.Cells(db);
        var partials = cells.Where(c => c.Kind == CellKinds.InfluencePartial).ToList();
        Assert.Equal(2, partials.Count);
        Assert.All(partials, p => Assert.Equal((CellState.Failed, 2), (p.State, p.Attempts)));
        Assert.All(partials, p => Assert.StartsWith("ArgumentException: mnist1d-cnn has no layer 'conv9'; its layers are: conv1, ", p.Error));
        var merge = cells.Single(c => c.Kind == CellKinds.MergeInfluence);
        Assert.Equal($"not run: it depends on influence-partial cell {partials[0].Key[..12]}, which failed", merge.Error);
        Assert.All(cells.Where(c => c.Kind == CellKinds.CompressionPoint),
            c => Assert.Equal($"not run: it depends on merge-influence cell {merge.Key[..12]}, which failed", c.Error));
        Assert.Equal(CellState.Done, cells.Single(c => c.Kind == CellKinds.Train).State);
    }
}
