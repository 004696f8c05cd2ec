using System.Diagnostics;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Runs;

using Execution = XaiGrid.Store.Execution;

/// <summary>
/// A run stopped part way (cancelled, or its process killed) and run again completes, executing exactly the cells
/// that were not done when it stopped (those it left running included), each once, and nothing else.
/// </summary>
[Collection(RunsCollection.Name)]
public class ResumeTests
{
    private static void AssertResumed(string db, ExperimentPlan plan, IReadOnlyList<CellRecord> stopped,
        Dictionary<string, IReadOnlyList<Execution>> before, RunSummary resumed)
    {
        Assert.False(resumed.Interrupted);
        Runs.AssertResumed(db, plan, stopped, before, resumed.Status);
    }

    [Fact]
    public async Task CancelledRunResumesWithTheCellsItLeftUndone()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var db = folder.File("cancelled.db");
        var plan = ExperimentRunner.Plan(experiment);
        using var cancel = new CancellationTokenSource();
        var options = new CoordinatorOptions
        {
            ProgressInterval = TimeSpan.Zero,
            Progress = status =>
            {
                if (status.Cells.Done >= 6) cancel.Cancel();
            },
        };

        var first = await Runs.RunAsync(experiment, db, workers: 2, options: options, cancel: cancel.Token);
        Assert.True(first.Interrupted);
        var stopped = Runs.Cells(db);
        Assert.DoesNotContain(stopped, c => c.State == CellState.Failed);
        Assert.InRange(stopped.Count(c => c.State == CellState.Done), 6, TinyExperiment.CellCount - 1);
        // Never more cells out than the two workers.
        Assert.InRange(stopped.Count(c => c.State == CellState.Running), 0, 2);

        var before = Runs.Executions(db, plan);
        AssertResumed(db, plan, stopped, before, await Runs.RunAsync(experiment, db, workers: 2));
    }

    [Fact]
    public async Task KilledProcessResumesWithTheCellsItLeftUndone()
    {
        using var folder = new TempFolder();
        // RISE with 200,000 masks in cells of 50,000: 12 partials of seconds in all after training, so the process is
        // still at work when the poll below sees training done.
        var heavier = TinyExperiment.With(TinyExperiment.With(TinyExperiment.Yaml, "masks: 64", "masks: 200000"), "samples_per_cell: 32", "samples_per_cell: 50000");
        var experiment = TinyExperiment.Write(folder.Path, heavier);
        var db = folder.File("killed.db");
        var plan = ExperimentRunner.Plan(experiment);
        Assert.Equal(TinyExperiment.CellCount - 6 + 12, plan.Cells.Count);

        using (var process = Process.Start(XaigridProgram.StartInfo(folder.Path, "run", experiment, "--db", db, "--workers", "2", "--threads", "1"))!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // Killed once training is done: the cells after it are then under way.
            while (!process.HasExited && Runs.Counts(db).Done < 1) await Task.Delay(20);
            bool exitedByItself = process.HasExited;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.False(exitedByItself, $"the run ended before it was killed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        var stopped = Runs.Cells(db);
        Assert.DoesNotContain(stopped, c => c.State == CellState.Failed);
        Assert.InRange(stopped.Count(c => c.State == CellState.Done), 1, plan.Cells.Count - 1);
        var before = Runs.Executions(db, plan);
        AssertResumed(db, plan, stopped, before, await Runs.RunAsync(experiment, db, workers: 2));
    }

    /// <summary>
    /// Cancelling stops the cells under way rather than waiting for them, whose results could no longer be recorded:
    /// this training would take hours, yet the run returns once cancelled, leaving the cell running for the next run.
    /// </summary>
    [Fact]
    public async Task CancellingStopsTheCellsUnderWay()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path, TinyExperiment.With(TinyExperiment.Yaml, "steps: 200", "steps: 100000000"));
        var db = folder.File("endless.db");
        using var cancel = new CancellationTokenSource();
        var run = Runs.RunAsync(experiment, db, workers: 1, cancel: cancel.Token);
        while (!run.IsCompleted && Runs.Counts(db).Running == 0) await Task.Delay(20);
        cancel.Cancel();
        var summary = await run;
        Assert.True(summary.Interrupted);
        Assert.Equal(new CellCounts(TinyExperiment.CellCount - 1, 1, 0, 0), summary.Status.Cells);
    }
}
