using System.Diagnostics;

namespace XaiGrid.Report.Tests;

/// <summary><c>xaigrid report</c> run as a program on the tiny experiment's store.</summary>
[Collection(StoreCollection.Name)]
public sealed class CliReportTests(StoreFixture store)
{
    private static (int ExitCode, string Stdout, string Stderr) Xaigrid(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "xaigrid.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public void WritesOnlyTheFormatsAskedFor()
    {
        var output = store.NewOutput();
        var (exit, stdout, stderr) = Xaigrid("report", "--db", store.Db, "--out", output, "--format", "csv");
        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{stderr}");
        var files = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).ToList();
        Assert.Equal(10, files.Count);
        Assert.All(files, f => Assert.Matches(@"^tables[/\\][a-z_]+\.csv$", f));
        Assert.Contains($"report: 10 files in {output}", stdout);
    }

    [Fact]
    public void BadArgumentsExitWithOneAndSayWhy()
    {
        var output = store.NewOutput();
        var (exit, _, stderr) = Xaigrid("report", "--db", store.Db, "--out", output, "--format", "md,pdf");
        Assert.Equal(1, exit);
        Assert.Contains("error: unknown report format 'pdf'; allowed: md, html, csv", stderr);

        var missing = Path.Combine(store.Folder, "no-such.db");
        (exit, _, stderr) = Xaigrid("report", "--db", missing, "--out", output);
        Assert.Equal(1, exit);
        Assert.Contains($"error: result database not found: {missing}", stderr);
        Assert.False(Directory.Exists(output));
    }
}
