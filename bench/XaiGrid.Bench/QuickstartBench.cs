using System.Diagnostics;

namespace XaiGrid.Bench;

/// <summary>
/// The quickstart's total time as a user meets it: a whole <c>xaigrid run experiments/quickstart.yaml --workers 2
/// --threads 1</c> process on a fresh database, start to exit, the report at its end included. Several published
/// builds (e.g. the one on main and the one of a branch) are compared by running them in turn, repetition by
/// repetition, so each sees the same load on a shared machine.
/// </summary>
public static class QuickstartBench
{
    public const string Usage = "[--xaigrid DIR[,DIR...] (build/xaigrid)] [--reps 3] [--workers 2]";

    public static int Run(string[] args)
    {
        string[] builds = [Measure.RepoFile("build", "xaigrid")];
        int reps = 3, workers = 2;
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value; quickstart {Usage}");
            string v = args[i + 1];
            switch (args[i])
            {
                case "--xaigrid":
                    builds = v.Split(',').Select(Path.GetFullPath).ToArray();
                    break;
                case "--reps" or "--workers" when int.TryParse(v, out var n) && n > 0:
                    if (args[i] == "--reps") reps = n;
                    else workers = n;
                    break;
                default:
                    throw new ArgumentException($"bad option {args[i]} {v}; quickstart {Usage}");
            }
        }
        foreach (var build in builds)
            if (!File.Exists(Path.Combine(build, "xaigrid.dll"))) throw new ArgumentException($"no xaigrid.dll in {build} (scripts/setup.sh publishes one)");

        string experiment = Measure.RepoFile("experiments", "quickstart.yaml");
        Console.WriteLine($"quickstart: {experiment}, --workers {workers} --threads 1, fresh database, report included; " +
            $"seconds per whole process, {reps} interleaved repetitions");
        var times = builds.ToDictionary(b => b, _ => new List<double>());
        for (int r = 0; r < reps; r++)
            foreach (var build in builds)
            {
                string load = Measure.LoadAverage();
                double seconds = Time(build, experiment, workers);
                times[build].Add(seconds);
                Console.WriteLine($"  repetition {r + 1}: {build}: {seconds:F1} s (load average {load}, {Measure.LoadAverage()})");
            }
        Console.WriteLine($"{"build",-50}  median s (min-max)");
        foreach (var (build, t) in times)
            Console.WriteLine($"{build,-50}  {Measure.Median(t):F1} ({t.Min():F1}-{t.Max():F1})");
        return 0;
    }

    private static double Time(string build, string experiment, int workers)
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-bench-quickstart-");
        try
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                // Relative paths in experiment files resolve against the working folder: the repository root.
                WorkingDirectory = Measure.RepoFile(),
            };
            foreach (var a in new[] { Path.Combine(build, "xaigrid.dll"), "run", experiment, "--db", Path.Combine(folder.FullName, "quickstart.db"),
                         "--workers", $"{workers}", "--threads", "1" })
                info.ArgumentList.Add(a);
            long start = Stopwatch.GetTimestamp();
            using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {build}");
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (p.ExitCode != 0 || !stdout.Contains(" 0 failed, 0 left"))
                throw new InvalidOperationException($"{build}: xaigrid run exited with {p.ExitCode}:\n{stdout}{stderr.Result}");
            return seconds;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
