using System.Diagnostics;
using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Workers;

namespace XaiGrid.Bench;

/// <summary>
/// What the in-process orchestrator costs per cell when cells do nothing: N no-op cells, planned directly as jobs of
/// partials and a merge over them (the shape of real plans), run through ExperimentRunner, the Coordinator, the
/// ResultSink (store writes included) and InProcessTransport, whose execute override returns an empty output. Each
/// repetition starts from a fresh database. Printed per configuration: the median wall time per cell of the whole run,
/// and of its two parts, recording the plan and dispatching the cells; "progress" runs as `xaigrid run` does, with a
/// status read after every cell.
/// </summary>
public static class OrchestrationBench
{
    public const string Usage = "[--cells 2000] [--job 20] [--workers 2] [--reps 5]";

    public static int Run(string[] args)
    {
        var flags = Flags(args, Usage, "--cells", "--job", "--workers", "--reps");
        int cells = flags.GetValueOrDefault("--cells", 2000), job = flags.GetValueOrDefault("--job", 20);
        int workers = flags.GetValueOrDefault("--workers", 2), reps = flags.GetValueOrDefault("--reps", 5);
        var plan = Plan(cells, job);
        Console.WriteLine($"orchestration overhead: {plan.Cells.Count} no-op cells in jobs of {job - 1} partials + 1 merge, {workers} in-process workers");
        Console.WriteLine($"median of {reps} runs (after 1 warm-up), ms per cell (min-max); load average 1 min (before, after)");
        Console.WriteLine($"{"progress",8}  {"whole run",20}  {"record plan",20}  {"dispatch",20}");
        foreach (bool progress in new[] { false, true })
        {
            string loadBefore = Measure.LoadAverage();
            var runs = Enumerable.Range(0, reps + 1).Select(_ => Time(plan, workers, progress)).Skip(1).ToList();
            string Column(Func<(double Whole, double Plan), double> part) =>
                $"{Measure.Median(runs.Select(part)) / plan.Cells.Count * 1e3:F3} ({runs.Min(part) / plan.Cells.Count * 1e3:F3}-{runs.Max(part) / plan.Cells.Count * 1e3:F3})";
            Console.WriteLine($"{(progress ? "yes" : "no"),8}  {Column(r => r.Whole),20}  {Column(r => r.Plan),20}  {Column(r => r.Whole - r.Plan),20}  " +
                $"{loadBefore}, {Measure.LoadAverage()}");
        }
        return 0;
    }

    /// <summary>Jobs of <c>job - 1</c> independent partials and a merge that depends on them, <paramref name="cells"/> in all.</summary>
    internal static ExperimentPlan Plan(int cells, int job)
    {
        if (job < 2) throw new ArgumentException($"--job needs at least 2 cells (partials and a merge), got {job}");
        var plan = new List<CellSpec>();
        for (int j = 0; plan.Count < cells; j++)
        {
            var partials = new List<string>();
            for (int i = 0; i < job - 1 && plan.Count < cells - 1; i++)
            {
                var partial = CellSpec.Create(CellKinds.ExplainStage, "noop", new JsonObject { ["job"] = j, ["part"] = i }, [], $"job {j} part {i}");
                plan.Add(partial);
                partials.Add(partial.Key);
            }
            plan.Add(CellSpec.Create(CellKinds.MergeStage, "noop", new JsonObject { ["job"] = j }, partials, $"job {j} merge"));
        }
        return new ExperimentPlan("orchestration-bench", plan);
    }

    /// <summary>Seconds for the whole run, and for recording the plan alone (the runner's first step) in another fresh database.</summary>
    private static (double Whole, double Plan) Time(ExperimentPlan plan, int workers, bool progress)
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-bench-");
        try
        {
            var experiment = Path.Combine(folder.FullName, "bench.yaml");
            File.WriteAllText(experiment, $"name: {plan.Experiment}\n");
            var db = Path.Combine(folder.FullName, "bench.db");
            // A progress callback makes the coordinator read the status after every cell, as `xaigrid run` does.
            var options = progress ? new CoordinatorOptions { Progress = _ => { } } : new CoordinatorOptions();
            long start = Stopwatch.GetTimestamp();
            var summary = ExperimentRunner.RunAsync(experiment, plan, db, new LocalWorkers(workers, Execute: _ => new CellOutput()), options)
                .GetAwaiter().GetResult();
            double whole = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (summary.Status.Cells.Done != plan.Cells.Count)
                throw new InvalidOperationException($"only {summary.Status.Cells.Done} of {plan.Cells.Count} cells are done");

            using var store = XaiGrid.Store.ResultStore.Open(Path.Combine(folder.FullName, "plan-only.db"));
            start = Stopwatch.GetTimestamp();
            var recorded = store.UpsertExperiment(plan.Experiment, experiment, File.ReadAllText(experiment));
            store.ReplaceCells(recorded.Id, plan.Cells.Select(c => c.ToStore()).ToList());
            return (whole, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>"--name value" pairs of positive integers, only the names given.</summary>
    internal static Dictionary<string, int> Flags(string[] args, string usage, params string[] names)
    {
        var values = new Dictionary<string, int>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!names.Contains(args[i])) throw new ArgumentException($"unknown option {args[i]}; {usage}");
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var n) || n < 1)
                throw new ArgumentException($"{args[i]} takes a positive integer; {usage}");
            values[args[i]] = n;
        }
        return values;
    }
}
