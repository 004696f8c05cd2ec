using System.Text.Json;

namespace XaiGrid.Cli.Tests;

/// <summary>
/// <c>xaigrid status --json</c> in processes of its own, polled while <c>xaigrid run</c> runs the quickstart (as
/// scripts/quickstart.sh runs it, report included) and writes the store: every poll succeeds, and no count of any
/// poll is below the poll before (cells done or failed, executions, and each stage's done and failed cells).
/// </summary>
public class StatusWhileRunningTests
{
    [Fact]
    public async Task StatusJsonPolledDuringTheQuickstartNeverFailsAndItsCountsNeverGoBack()
    {
        using var dir = new TempDir();
        string db = dir.File("quickstart.db");
        string experiment = Path.Combine(Testing.Reference.RepositoryRoot, "experiments", "quickstart.yaml");
        using var run = Cli.Start("run", experiment, "--db", db, "--workers", "2", "--threads", "1", "--report-out", dir.File("report"));
        var runStdout = run.StandardOutput.ReadToEndAsync();
        var runStderr = run.StandardError.ReadToEndAsync();

        // The run creates the file when it opens the store; status of a file not there yet is an error by design.
        while (!File.Exists(db) && !run.HasExited) await Task.Delay(50);
        var polls = new List<JsonElement>();
        while (!run.HasExited)
        {
            var status = Cli.Run("status", "--db", db, "--json");
            Assert.True(status.ExitCode == 0, $"poll {polls.Count + 1}: {status}");
            polls.Add(JsonDocument.Parse(status.Stdout).RootElement);
            // Each poll is a whole process: back to back they would take a core from the run.
            await Task.Delay(250);
        }
        await run.WaitForExitAsync();
        Assert.True(run.ExitCode == 0, $"xaigrid run: exit {run.ExitCode}\n{await runStdout}\n{await runStderr}");
        polls.Add(JsonDocument.Parse(Cli.Run("status", "--db", db, "--json").Stdout).RootElement);

        Assert.True(polls.Count >= 5, $"only {polls.Count} polls during the run");
        for (int i = 1; i < polls.Count; i++)
        {
            var (before, after) = (Counts(polls[i - 1]), Counts(polls[i]));
            foreach (var (name, value) in before)
                Assert.True(after.GetValueOrDefault(name) >= value, $"{name} went from {value} to {after.GetValueOrDefault(name)} between polls {i} and {i + 1}");
        }
        var last = polls[^1].GetProperty("cells");
        Assert.Equal((0, 0, 175, 0), (last.GetProperty("pending").GetInt64(), last.GetProperty("running").GetInt64(), last.GetProperty("done").GetInt64(),
            last.GetProperty("failed").GetInt64()));
    }

    /// <summary>The counts of a status that only ever grow during a run.</summary>
    private static Dictionary<string, long> Counts(JsonElement status)
    {
        var cells = status.GetProperty("cells");
        var counts = new Dictionary<string, long>
        {
            ["done"] = cells.GetProperty("done").GetInt64(),
            ["failed"] = cells.GetProperty("failed").GetInt64(),
            ["computed"] = status.GetProperty("computed").GetInt64(),
        };
        foreach (var stage in status.GetProperty("stages").EnumerateArray())
        {
            string name = stage.GetProperty("stage").GetString()!;
            counts[$"{name} done"] = stage.GetProperty("done").GetInt64();
            counts[$"{name} failed"] = stage.GetProperty("failed").GetInt64();
        }
        return counts;
    }
}
