using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace XaiGrid.Testing;

/// <summary>
/// One running xaigrid process (a coordinator or a worker), what it printed, and the cells its worker log names
/// (<c>worker NAME: KIND cell KEY started</c> / <c>done</c>), timed as the lines arrive. Linked into every test
/// project by tests/Directory.Build.props, and into the benchmarks.
/// </summary>
internal sealed partial class XaigridProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new(), stderr = new();
    private readonly ConcurrentQueue<(string key, bool done)> cells = new();
    private readonly ConcurrentDictionary<string, long> startedAt = new();
    private readonly ConcurrentDictionary<string, double> cellSeconds = new();

    public XaigridProcess(string name, ProcessStartInfo start)
    {
        Name = name;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            long now = Stopwatch.GetTimestamp();
            stdout.Enqueue(line);
            var m = CellLine().Match(line);
            if (!m.Success) return;
            var key = m.Groups[1].Value;
            bool done = m.Groups[2].Value == "done";
            cells.Enqueue((key, done));
            if (!done) startedAt[key] = now;
            else if (startedAt.TryGetValue(key, out var from)) cellSeconds[key] = Stopwatch.GetElapsedTime(from, now).TotalSeconds;
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) stderr.Enqueue(line);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Killed or signalled on purpose: its exit is expected.</summary>
    public bool Stopped { get; private set; }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public int Id => process.Id;

    /// <summary>Its resident memory now (VmRSS), in bytes; 0 once it has exited.</summary>
    public long ResidentBytes => Status("VmRSS");

    /// <summary>The most resident memory it has had so far (VmHWM, the high-water mark), in bytes; 0 once it has exited.</summary>
    public long PeakResidentBytes => Status("VmHWM");

    private long Status(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Everything it printed so far on stdout and stderr.</summary>
    public IReadOnlyList<string> Lines => stdout.Concat(stderr).ToList();

    /// <summary>CPU seconds it has used so far (while it runs).</summary>
    public double CpuSeconds => process.TotalProcessorTime.TotalSeconds;

    /// <summary>Keys of the cells the worker logged as started, in order, as often as it started each.</summary>
    public IReadOnlyList<string> Started => cells.Where(c => !c.done).Select(c => c.key).ToList();

    /// <summary>Keys of the cells the worker logged as done (result published and cell acknowledged).</summary>
    public IReadOnlyList<string> Done => cells.Where(c => c.done).Select(c => c.key).ToList();

    /// <summary>Seconds from each cell's "started" line to its "done" line (the worker's own time, queueing excluded), by key.</summary>
    public IReadOnlyDictionary<string, double> CellSeconds => cellSeconds;

    [GeneratedRegex("^worker \\S+: \\S+ cell ([0-9a-f]{64}) (started|done)\\b")]
    private static partial Regex CellLine();

    /// <summary>SIGKILL: no chance to finish, acknowledge or close anything.</summary>
    public void Kill()
    {
        Stopped = true;
        process.Kill();
    }

    /// <summary>SIGTERM, as a service manager stops a worker: it finishes its cell and exits 0.</summary>
    public void Terminate()
    {
        Stopped = true;
        if (kill(process.Id, Sigterm) != 0) throw new InvalidOperationException($"kill -TERM {process.Id} ({Name}): errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGINT, as Ctrl-C in a terminal.</summary>
    public void Interrupt()
    {
        Stopped = true;
        if (kill(process.Id, Sigint) != 0) throw new InvalidOperationException($"kill -INT {process.Id} ({Name}): errno {Marshal.GetLastPInvokeError()}");
    }

    private const int Sigterm = 15, Sigint = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>True once it has exited and all its output is read.</summary>
    public async Task<bool> WaitForExit(TimeSpan patience)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(patience);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>What it printed: all of it, or its last <paramref name="lines"/> lines of each stream.</summary>
    public string Transcript(int lines = int.MaxValue)
    {
        var state = process.HasExited ? $"exit {process.ExitCode}" : "running";
        return $"--- {Name} (pid {process.Id}, {state}) stdout:\n{string.Join("\n", stdout.TakeLast(lines))}\n" +
               $"--- {Name} stderr:\n{string.Join("\n", stderr.TakeLast(lines))}";
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            process.Dispose();
        }
    }
}
