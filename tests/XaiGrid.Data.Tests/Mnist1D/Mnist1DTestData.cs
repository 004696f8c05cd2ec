using System.Diagnostics;

namespace XaiGrid.Data.Tests;

internal static class Mnist1DTestData
{
    /// <summary>The published dataset, found beside the repository (the folder holding XaiGrid.sln).</summary>
    public static string PublishedDir { get; } = FindPublished();

    private static string FindPublished()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "XaiGrid.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "mnist1d"));
        throw new DirectoryNotFoundException($"no XaiGrid.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs a script with the system python that has numpy (not the pyenv one on PATH) and returns its stdout.</summary>
    public static string RunNumpy(string script)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var stdout = stdoutTask.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"python failed ({p.ExitCode}): {stderr}");
        return stdout;
    }

    /// <summary>A fresh empty folder under the temp directory, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-mnist1d-").FullName;

        public void Dispose() => Directory.Delete(Path, true);
    }
}
