using System.Diagnostics;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;
using XaiGrid.Torch;

namespace XaiGrid.Bench;

/// <summary>
/// How the in-process orchestrator scales with workers (one libtorch thread each): the quickstart experiment run
/// whole, in this process, on a fresh database per worker count, as `xaigrid run --workers W --threads 1` runs it.
/// Stage times come from the cells' start and finish times in the database. The explanation stage is the maps'
/// partials, merges and metrics; it is timed from the last training cell's end to its last cell's end (the span the
/// experiment waits for it), and also as its own span (first start to last end) and as the sum of its cells' times
/// (the work, which a second worker should not grow).
/// </summary>
public static class ScaleoutBench
{
    public const string Usage = "[experiment.yaml (experiments/quickstart.yaml)] [--max-workers 2]";

    public static int Run(string[] args)
    {
        string experiment = Measure.RepoFile("experiments", "quickstart.yaml");
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            experiment = Path.GetFullPath(args[0]);
            args = args[1..];
        }
        int maxWorkers = OrchestrationBench.Flags(args, Usage, "--max-workers").GetValueOrDefault("--max-workers", 2);
        // Relative data paths in experiment files resolve against the working folder: the repository root.
        Directory.SetCurrentDirectory(Measure.RepoFile());
        torch.set_num_threads(1);
        var plan = ExperimentRunner.Plan(experiment);
        Console.WriteLine($"scale-out: {Path.GetFileName(experiment)}, {plan.Cells.Count} cells, in-process workers with 1 libtorch thread each, " +
            $"{Environment.ProcessorCount} cores");
        Console.WriteLine($"{"workers",7}  {"whole",8}  {"training",8}  {"explain after training",22}  {"explain span",12}  {"explain work",12}  " +
            "rest after explain  load average 1 min (before, after)");
        Console.WriteLine($"this machine now runs two single-thread libtorch loops in one process {Ceiling():F2}x as fast as one " +
            "(the most a second worker can give while others share the cores)");
        var results = new List<Stages>();
        for (int workers = 1; workers <= maxWorkers; workers++)
        {
            string loadBefore = Measure.LoadAverage();
            var r = RunOnce(experiment, workers);
            results.Add(r);
            Console.WriteLine($"{workers,7}  {r.Whole,7:F1}s  {r.Training,7:F1}s  {r.ExplainAfterTraining,21:F1}s  {r.ExplainSpan,11:F1}s  {r.ExplainWork,11:F1}s  " +
                $"{r.Rest,17:F1}s  {loadBefore}, {Measure.LoadAverage()}");
        }
        for (int w = 1; w < results.Count; w++)
            Console.WriteLine($"speed-up of {w + 1} workers over 1: whole {results[0].Whole / results[w].Whole:F2}x, training {results[0].Training / results[w].Training:F2}x, " +
                $"explain after training {results[0].ExplainAfterTraining / results[w].ExplainAfterTraining:F2}x, explain span {results[0].ExplainSpan / results[w].ExplainSpan:F2}x");
        return 0;
    }

    /// <summary>Two loops of conv1d (MNIST-1D's conv2 on 500 items) on two threads at once, against one alone: rate ratio.</summary>
    private static double Ceiling()
    {
        static void Loop()
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(0);
            var x = torch.randn([500, 25, 40], generator);
            var w = torch.randn([25, 25, 3], generator);
            for (int i = 0; i < 400; i++)
            {
                using var step = torch.NewDisposeScope();
                torch.nn.functional.conv1d(x, w, padding: 1);
            }
        }
        static double Seconds(Action run)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Loop();
        double alone = Seconds(Loop);
        double together = Seconds(() => Task.WaitAll(Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning)));
        return 2 * alone / together;
    }

    /// <summary>Seconds: the whole run; first cell start to last training end; the explanation stage three ways; the rest.</summary>
    private sealed record Stages(double Whole, double Training, double ExplainAfterTraining, double ExplainSpan, double ExplainWork, double Rest);

    private static Stages RunOnce(string experiment, int workers)
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-scaleout-");
        try
        {
            var db = Path.Combine(folder.FullName, "scaleout.db");
            var plan = ExperimentRunner.Plan(experiment);
            long start = Stopwatch.GetTimestamp();
            var summary = ExperimentRunner.RunAsync(experiment, plan, db, new InProcessTransport(db, workers, threadsPerWorker: 1)).GetAwaiter().GetResult();
            double whole = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (summary.Status.Cells.Done != plan.Cells.Count)
                throw new InvalidOperationException($"{summary.Status.Cells.Failed} of {plan.Cells.Count} cells failed; see {db}");

            using var store = ResultStore.OpenReadOnly(db);
            var cells = store.Cells(experimentId: summary.ExperimentId);
            bool IsExplanation(CellRecord c) => c.Stage is "explain" or "evaluate" || c.Kind == "merge-maps";
            var first = cells.Min(c => c.Started!.Value);
            var trainEnd = cells.Where(c => c.Stage == "train").Max(c => c.Finished!.Value);
            var explanation = cells.Where(IsExplanation).ToList();
            var explainEnd = explanation.Max(c => c.Finished!.Value);
            var end = cells.Max(c => c.Finished!.Value);
            return new Stages(whole, (trainEnd - first).TotalSeconds, (explainEnd - trainEnd).TotalSeconds,
                (explainEnd - explanation.Min(c => c.Started!.Value)).TotalSeconds, explanation.Sum(c => c.Duration!.Value.TotalSeconds),
                (end - explainEnd).TotalSeconds);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
