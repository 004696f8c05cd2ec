using System.Diagnostics;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Store;
using XaiGrid.Testing;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Bench;

/// <summary>
/// How cluster mode scales with worker processes (one libtorch thread each), run as a user scaling out runs it: per
/// worker count W, a fresh database, W <c>xaigrid worker</c> processes and one <c>xaigrid coordinator</c> process on the
/// quickstart experiment, joined with Akka.Cluster on loopback at a port of the run's own (workers started first, so their
/// start-up is outside the stage times). Stage times come from the cells' start and finish times in the database. The explanation stage is the maps' partials, merges and metrics; it is timed
/// from the last training cell's end to its last cell's end (the span the experiment waits for it), and also as its own
/// span (first start to last end). Its work (which a second worker should not grow) is the sum of the workers' own times
/// for its cells, from their logs (a cell's time in the database also holds sending its result). Each round starts
/// with a two-loop check of how much a second busy core gives on this machine at that moment.
/// </summary>
public static class ScaleoutBench
{
    public const string Usage = "[experiment.yaml (experiments/quickstart.yaml)] [--max-workers 2] [--reps 1]";

    public static int Run(string[] args)
    {
        string experiment = Measure.RepoFile("experiments", "quickstart.yaml");
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            experiment = Path.GetFullPath(args[0]);
            args = args[1..];
        }
        int maxWorkers = 2, reps = 1;
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--max-workers" when int.TryParse(args[i + 1], out var n) && n > 0:
                    maxWorkers = n;
                    break;
                case "--max-workers":
                    throw new ArgumentException($"--max-workers takes a positive integer, got '{args[i + 1]}'");
                case "--reps" when int.TryParse(args[i + 1], out var n) && n > 0:
                    reps = n;
                    break;
                case "--reps":
                    throw new ArgumentException($"--reps takes a positive integer, got '{args[i + 1]}'");
                default:
                    throw new ArgumentException($"unknown option {args[i]}; {Usage}");
            }
        }
        // Relative data paths in experiment files resolve against the working folder: the repository root.
        Directory.SetCurrentDirectory(Measure.RepoFile());
        torch.set_num_threads(1);
        var plan = ExperimentRunner.Plan(experiment);
        Console.WriteLine($"scale-out: {Path.GetFileName(experiment)}, {plan.Cells.Count} cells, xaigrid worker processes with 1 libtorch thread each " +
            $"and an xaigrid coordinator process, {Environment.ProcessorCount} cores");
        Console.WriteLine("two-loop check: before each round, two single-thread libtorch loops at once against one, as a rate ratio " +
            "(the most a second worker can give while others share the cores; this machine's cores vary)");
        Console.WriteLine($"{"workers",7}  {"whole",8}  {"training",8}  {"explain after training",22}  {"explain span",12}  {"explain work",12}  " +
            $"{"rest after explain",18}  {"CPU coordinator",15}  {"CPU workers",11}  load average 1 min (before, after)");
        // Rounds of 1..max workers, interleaved so that a change in the machine's load falls on every worker count alike;
        // the speed-ups are medians over the rounds.
        var results = Enumerable.Range(0, maxWorkers).Select(_ => new List<Stages>()).ToArray();
        var ceilings = new List<double>();
        for (int round = 0; round < reps; round++)
        {
            ceilings.Add(Ceiling());
            Console.WriteLine($"round {round + 1}: two-loop check {ceilings[^1]:F2}x");
            for (int workers = 1; workers <= maxWorkers; workers++)
            {
                string loadBefore = Measure.LoadAverage();
                Stages r;
                try
                {
                    r = RunOnce(experiment, workers).GetAwaiter().GetResult();
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine(e.Message);
                    return 1;
                }
                results[workers - 1].Add(r);
                Console.WriteLine($"{workers,7}  {r.Whole,7:F1}s  {r.Training,7:F1}s  {r.ExplainAfterTraining,21:F1}s  {r.ExplainSpan,11:F1}s  {r.ExplainWork,11:F1}s  " +
                    $"{r.Rest,17:F1}s  {r.CoordinatorCpu,14:F1}s  {r.WorkersCpu,10:F1}s  {loadBefore}, {Measure.LoadAverage()}");
            }
        }
        double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        double SpeedUp(int w, Func<Stages, double> stage) => Median(Enumerable.Range(0, reps).Select(k => stage(results[0][k]) / stage(results[w][k])));
        for (int w = 1; w < maxWorkers; w++)
            Console.WriteLine($"speed-up of {w + 1} workers over 1 (median of {reps} rounds): whole {SpeedUp(w, s => s.Whole):F2}x, " +
                $"training {SpeedUp(w, s => s.Training):F2}x, explain after training {SpeedUp(w, s => s.ExplainAfterTraining):F2}x, " +
                $"explain span {SpeedUp(w, s => s.ExplainSpan):F2}x; two-loop check {Median(ceilings):F2}x");
        return 0;
    }

    /// <summary>Two loops of conv1d (MNIST-1D's conv2 on 500 items) on two threads at once, against one alone: rate ratio.</summary>
    private static double Ceiling()
    {
        static void Loop()
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(0);
            var x = torch.randn([500, 25, 40], generator: generator);
            var w = torch.randn([25, 25, 3], generator: generator);
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

    /// <summary>
    /// Seconds: the coordinator process's life; first cell start to last training end; the explanation stage three ways;
    /// the rest; then the CPU the coordinator used, and the workers from its start until they were stopped.
    /// </summary>
    private sealed record Stages(double Whole, double Training, double ExplainAfterTraining, double ExplainSpan, double ExplainWork, double Rest,
        double CoordinatorCpu, double WorkersCpu);

    private static async Task<Stages> RunOnce(string experiment, int workerCount)
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-scaleout-");
        try
        {
            var db = Path.Combine(folder.FullName, "scaleout.db");
            double whole, coordinatorCpu, workersCpu;
            List<XaigridProcess> workers;
            await using (var cluster = await ClusterProcesses.StartAsync(folder.FullName))
            {
                workers = Enumerable.Range(1, workerCount).Select(i => cluster.Worker($"w{i}")).ToList();
                await cluster.WaitForWorkers(workers);
                double workersBefore = workers.Sum(w => w.CpuSeconds), exitedBefore = ClusterProcesses.ExitedChildrenCpuSeconds();
                long start = Stopwatch.GetTimestamp();
                var coordinator = cluster.Coordinator(experiment, db);
                await cluster.WaitForExit(coordinator, 0);
                cluster.Finished(coordinator);
                whole = Stopwatch.GetElapsedTime(start).TotalSeconds;
                coordinatorCpu = ClusterProcesses.ExitedChildrenCpuSeconds() - exitedBefore;
                workersCpu = workers.Sum(w => w.CpuSeconds) - workersBefore;
                foreach (var w in workers) w.Terminate();
                foreach (var w in workers) await cluster.WaitForExit(w, 0);
            }

            using var store = ResultStore.OpenReadOnly(db);
            var cells = store.Cells();
            if (cells.Count(c => c.State == CellState.Done) != cells.Count)
                throw new InvalidOperationException($"{cells.Count(c => c.State != CellState.Done)} of {cells.Count} cells not done after the coordinator exited 0");
            bool IsExplanation(CellRecord c) => c.Stage is "explain" or "evaluate" || c.Kind == "merge-maps";
            var first = cells.Min(c => c.Started!.Value);
            var trainEnd = cells.Where(c => c.Stage == "train").Max(c => c.Finished!.Value);
            var explanation = cells.Where(IsExplanation).ToList();
            var explainEnd = explanation.Max(c => c.Finished!.Value);
            var end = cells.Max(c => c.Finished!.Value);
            // A cell run twice (sent again after its worker was lost) counts twice: both runs were work.
            var workSeconds = workers.SelectMany(w => w.CellSeconds).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
            double Work(CellRecord c) => workSeconds.TryGetValue(c.Key, out var s)
                ? s : throw new InvalidOperationException($"no worker logged {c.Kind} cell {c.Key} as started and done");
            return new Stages(whole, (trainEnd - first).TotalSeconds, (explainEnd - trainEnd).TotalSeconds,
                (explainEnd - explanation.Min(c => c.Started!.Value)).TotalSeconds, explanation.Sum(Work),
                (end - explainEnd).TotalSeconds, coordinatorCpu, workersCpu);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
