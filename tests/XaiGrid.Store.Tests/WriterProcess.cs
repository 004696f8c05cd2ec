using System.Collections.Concurrent;
using System.Diagnostics;

namespace XaiGrid.Store.Tests;

/// <summary>
/// A running XaiGrid.Store.TestWriter (built beside the tests by the project reference) and the lines it printed, as
/// they arrive: a line "done KEY" is a cell the store acknowledged.
/// </summary>
internal sealed class WriterProcess : IDisposable
{
    public static readonly string Program = Path.Combine(AppContext.BaseDirectory, "XaiGrid.Store.TestWriter.dll");

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private WriterProcess(params string[] args)
    {
        // The SDK's test runner names the dotnet host it runs under; a bare "dotnet" is the fallback.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Program);
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _lines.Add(line);
            else _lines.CompleteAdding();
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _stderr.Enqueue(line);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static WriterProcess Start(params string[] args) => new(args);

    /// <summary>The next line it prints; null once it has exited and everything it printed was read.</summary>
    public string? NextLine(TimeSpan patience)
    {
        if (_lines.TryTake(out var line, patience)) return line;
        if (_lines.IsCompleted) return null;
        throw new TimeoutException($"no line from the writer in {patience.TotalSeconds:F0} s\n{Transcript()}");
    }

    /// <summary>The next line if it prints one within <paramref name="wait"/>; null when it does not, or has exited.</summary>
    public string? LineWithin(TimeSpan wait) => _lines.TryTake(out var line, wait) ? line : null;

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: no chance to finish a write, close a file or release a lock.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Every line it printed that was not read yet, once it has exited.</summary>
    public List<string> Rest()
    {
        _process.WaitForExit();
        return _lines.GetConsumingEnumerable().ToList();
    }

    public int ExitCode => _process.ExitCode;

    public string Transcript() => $"exit {(_process.HasExited ? _process.ExitCode.ToString() : "(running)")}; stderr:\n{string.Join("\n", _stderr)}";

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
