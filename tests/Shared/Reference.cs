using System.Diagnostics;

namespace XaiGrid.Testing;

/// <summary>
/// What every test project needs from outside itself: the checkout, the shared data beside it, and Debian's
/// /usr/bin/python3 (the one with numpy and torch; the python3 on PATH has neither) for reference values.
/// Linked into each test project by tests/Directory.Build.props.
/// </summary>
internal static class Reference
{
    private static readonly Lazy<string> root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "XaiGrid.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no XaiGrid.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding XaiGrid.sln.</summary>
    public static string RepositoryRoot => root.Value;

    /// <summary>../shared/data beside the checkout.</summary>
    public static string DataDir => Path.GetFullPath(Path.Combine(root.Value, "..", "shared", "data"));

    /// <summary>Runs a script with /usr/bin/python3; arguments arrive in sys.argv[1:]. Returns stdout.</summary>
    public static string Python(string script, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"python3 failed ({p.ExitCode}):\n{stderr.Result}");
        return stdout;
    }
}
