using System.Diagnostics;

namespace XaiGrid.Cli.Tests;

/// <summary>The outcome of one run of the xaigrid program.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout:\n{Stdout}\n--- stderr:\n{Stderr}";

    /// <summary>Asserts exit code 1, nothing on stderr but one line, and no stack trace anywhere; returns the line.</summary>
    public string SingleErrorLine()
    {
        Assert.True(ExitCode == 1, ToString());
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, ToString());
        Assert.DoesNotContain("   at ", Stdout + Stderr);
        Assert.DoesNotContain("Exception", Stdout + Stderr);
        return lines[0];
    }
}

/// <summary>
/// Runs xaigrid (built beside the tests by the project reference) as a child process, as a user would: exit codes,
/// the console streams and unhandled-exception output are then the real ones.
/// </summary>
internal static class Cli
{
    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "xaigrid.dll");

    public static CliResult Run(params string[] args)
    {
        // The SDK's test runner names the dotnet host it runs under; a bare "dotnet" is the fallback.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Program);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["XAIGRID_DATA"] = SharedData.Root;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout, stderr.Result);
    }
}

internal static class SharedData
{
    /// <summary>../shared/data beside the checkout that holds XaiGrid.sln.</summary>
    public static readonly string Root = Testing.Reference.DataDir;
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-cli-").FullName;

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
