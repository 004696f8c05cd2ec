using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Bench;

/// <summary>
/// Times our side against a python3-torch script, repetition by repetition: one of ours, then one of python's,
/// so both see the same load on a shared machine, and never run at the same time.
/// </summary>
public static class Measure
{
    /// <summary>
    /// Prints, per thread count, the median time of one repetition on each side and python's time over ours (how many
    /// times faster ours is). With <paramref name="samplesPerRep"/> it prints throughput (samples/s) instead; the ratio
    /// is then ours over python's, the same number. <paramref name="pythonArgs"/> follow the script's --threads.
    /// </summary>
    public static int Compare(string title, BenchOptions o, Action ours, string pythonScript, IReadOnlyList<string>? pythonArgs = null,
        long samplesPerRep = 0)
    {
        bool throughput = samplesPerRep > 0;
        int width = throughput ? 38 : 22;
        Console.WriteLine(title);
        Console.WriteLine($"median of {o.Reps} interleaved repetitions after {o.Warmup} warm-up; " +
            (throughput ? "samples/s at the median, ms per repetition (min-max)" : "ms (min-max)"));
        Console.WriteLine($"{"threads",7}  {"ours".PadRight(width)}  {"python3-torch".PadRight(width)}  " +
            $"{(throughput ? "ours/python" : "python/ours")}  load average 1 min (before, after)");
        foreach (int n in o.Threads)
        {
            torch.set_num_threads(n);
            if (torch.get_num_threads() != n) throw new InvalidOperationException($"libtorch runs {torch.get_num_threads()} threads, not {n}");
            using var python = new PythonSide(o.Python, pythonScript, n, pythonArgs ?? []);
            for (int i = 0; i < o.Warmup; i++) ours();
            if (o.Warmup > 0) python.Run(o.Warmup);
            string loadBefore = LoadAverage();
            var oursTimes = new List<double>();
            var pyTimes = new List<double>();
            for (int i = 0; i < o.Reps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                ours();
                oursTimes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                pyTimes.AddRange(python.Run(1));
            }
            Console.WriteLine($"{n,7}  {Cell(oursTimes, samplesPerRep).PadRight(width)}  {Cell(pyTimes, samplesPerRep).PadRight(width)}  " +
                $"{Median(pyTimes) / Median(oursTimes),11:F3}  {loadBefore}, {LoadAverage()}");
        }
        return 0;
    }

    private static string Cell(List<double> t, long samplesPerRep)
    {
        string ms = $"{Median(t) * 1e3:F1} ({t.Min() * 1e3:F1}-{t.Max() * 1e3:F1})";
        return samplesPerRep > 0 ? $"{samplesPerRep / Median(t):F1}/s, {ms} ms" : ms;
    }

    // The machine is shared: the load beside each result tells how much the numbers can be trusted.
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>A path under the folder that holds XaiGrid.sln, found by walking up from the program.</summary>
    public static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "XaiGrid.sln")))
                return Path.Combine([dir.FullName, .. parts]);
        throw new InvalidOperationException($"no XaiGrid.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// bench/python/&lt;script&gt; --threads n [args], kept running: each line written to it is a number of repetitions,
    /// each line it answers is {"threads": n, "times": [seconds...]}.
    /// </summary>
    private sealed class PythonSide : IDisposable
    {
        private readonly Process process;
        private readonly string script;
        private readonly int threads;

        public PythonSide(string python, string script, int threads, IReadOnlyList<string> args)
        {
            this.script = script;
            this.threads = threads;
            var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true };
            foreach (var a in new[] { RepoFile("bench", "python", script), "--threads", $"{threads}" }.Concat(args)) start.ArgumentList.Add(a);
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        }

        public List<double> Run(int reps)
        {
            process.StandardInput.WriteLine(reps);
            process.StandardInput.Flush();
            string line = process.StandardOutput.ReadLine()
                ?? throw new InvalidOperationException($"{script} exited with {(process.WaitForExit(5000) ? process.ExitCode : -1)} (its stderr is above)");
            var json = JsonDocument.Parse(line).RootElement;
            int used = json.GetProperty("threads").GetInt32();
            if (used != threads) throw new InvalidOperationException($"{script} ran with {used} threads, not {threads}");
            return json.GetProperty("times").EnumerateArray().Select(t => t.GetDouble()).ToList();
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(10_000)) process.Kill();
            process.Dispose();
        }
    }
}
