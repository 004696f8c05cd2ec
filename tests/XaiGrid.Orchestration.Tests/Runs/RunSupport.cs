using System.Diagnostics;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Runs;

using Execution = XaiGrid.Store.Execution;

/// <summary>
/// The experiment the run tests use: a 200-step MNIST-1D CNN, three methods on 12 test items in ranges of 4, Drop% and
/// a 2 x 2 compression grid. A run takes seconds.
/// </summary>
internal static class TinyExperiment
{
    public const string Yaml = """
        name: tiny
        data:
          mnist1d: {spec: mnist1d}
        models:
          cnn:
            arch: mnist1d-cnn
            data: mnist1d
            optimizer: adam
            lr: 1.0e-2
            batch_size: 100
            steps: 200
            shuffle: false
            seeds: [0]
        explanations:
          - name: maps
            model: cnn
            inputs: {ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}
            methods:
              - gradient
              - {method: smoothgrad, n: 8}
              - {method: rise, masks: 64, cells: 8, p1: 0.5}
        evaluations:
          - {explanations: maps, metric: drop-increase, frac: 0.3}
        compression:
          - {name: squeeze, model: cnn, layer: conv2, classes: [0], top: [1, 2], bottom: [0, 1]}
        partition:
          inputs_per_cell: 4
          samples_per_cell: 32
          instances_per_cell: 200

        """;

    /// <summary>
    /// A compression job at a layer mnist1d-cnn does not have (conv9): the loader cannot know the layers, so its
    /// influence partials fail at execution on every attempt, the cells waiting on them fail too, and training completes.
    /// </summary>
    public const string BrokenLayerYaml = """
        name: broken-layer
        data:
          mnist1d: {spec: mnist1d}
        models:
          cnn: {arch: mnist1d-cnn, data: mnist1d, optimizer: adam, lr: 1.0e-2, batch_size: 100, steps: 50, shuffle: false}
        compression:
          - {name: squeeze, model: cnn, layer: conv9, classes: [0], top: [1, 2], bottom: [0, 1]}
        partition:
          instances_per_cell: 200

        """;

    /// <summary>
    /// 1 train; explain partials: gradient 3 input ranges, smoothgrad 3 x 1 sample range (8 by 32), rise 3 x 2 (64 by
    /// 32); merges: 3 maps + 1 influence; 3 drop-increase; class 0's 400 training instances by 200: 2 influence
    /// partials; 4 compression points.
    /// </summary>
    public static readonly (string Stage, int Cells)[] Stages =
        [("train", 1), ("explain", 3 + 3 + 6), ("merge", 3 + 1), ("evaluate", 3), ("influence", 2), ("compression", 4)];

    public static int CellCount => Stages.Sum(s => s.Cells);

    /// <summary>Writes the experiment (or a variant of it) to <paramref name="folder"/> and returns its path.</summary>
    public static string Write(string folder, string yaml = Yaml, string file = "tiny.yaml")
    {
        var path = Path.Combine(folder, file);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The text with one exact replacement, which must exist (a typo in a test would otherwise test nothing).</summary>
    public static string With(string yaml, string from, string to) =>
        yaml.Contains(from) ? yaml.Replace(from, to) : throw new ArgumentException($"the experiment has no '{from}'");
}

/// <summary>
/// The run tests run one at a time with no other test alongside: they time nothing, but a test blocked on a child
/// process or a CPU-bound run next to them delays their workers and polls enough to change what a run does (which
/// worker takes a cell, how far a run gets before it is killed).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsCollection
{
    public const string Name = "runs";
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-runs-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs experiments in this process or through the xaigrid program, and reads what runs left in the store.</summary>
internal static class Runs
{
    /// <summary>Longer than any run here takes on a loaded machine: a hang fails the test instead of blocking the suite.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static async Task<RunSummary> RunAsync(string experiment, string db, int workers, Func<WorkItem, CellOutput>? execute = null,
        CoordinatorOptions? options = null, CancellationToken cancel = default)
    {
        var plan = ExperimentRunner.Plan(experiment);
        return await ExperimentRunner.RunAsync(experiment, plan, db, new LocalWorkers(workers, ThreadsPerWorker: 1, Execute: execute), options, cancel)
            .WaitAsync(Limit);
    }

    /// <summary>
    /// The real executor, each cell then held 20 ms more. The tiny experiment's cells take about a millisecond, less
    /// than the coordinator needs to hand out the next, so the worker that just finished would take every cell; held,
    /// the cells are shared between the workers, as a real experiment's are.
    /// </summary>
    public static Func<WorkItem, CellOutput> Held(string db) => item =>
    {
        using var artifacts = new StoreArtifactSource(db);
        using var context = new WorkerContext(artifacts);
        var output = new CellExecutor(context).Execute(item);
        Thread.Sleep(20);
        return output;
    };

    /// <summary>Stands in for every executor: the coordination is what is tested, not the cells' work.</summary>
    public static CellOutput Nothing(WorkItem item) => new();

    public static IReadOnlyList<CellRecord> Cells(string db)
    {
        using var store = ResultStore.OpenReadOnly(db);
        return store.Cells();
    }

    /// <summary>The attempts recorded so far of each cell of <paramref name="plan"/>.</summary>
    public static Dictionary<string, IReadOnlyList<Execution>> Executions(string db, ExperimentPlan plan)
    {
        using var store = ResultStore.OpenReadOnly(db);
        return plan.Cells.ToDictionary(c => c.Key, c => store.Executions(c.Key));
    }

    /// <summary>Cells whose attempts grew between two readings, with how many attempts each gained.</summary>
    public static Dictionary<string, int> Added(Dictionary<string, IReadOnlyList<Execution>> before, Dictionary<string, IReadOnlyList<Execution>> after) =>
        after.Where(p => p.Value.Count != (before.TryGetValue(p.Key, out var b) ? b.Count : 0))
            .ToDictionary(p => p.Key, p => p.Value.Count - (before.TryGetValue(p.Key, out var b) ? b.Count : 0));

    /// <summary>Each cell of <paramref name="added"/> gained one attempt; a failure shows the attempts of those that gained more.</summary>
    public static void AssertOnceEach(Dictionary<string, int> added, Dictionary<string, IReadOnlyList<Execution>> after)
    {
        var more = added.Where(p => p.Value != 1).Select(p => $"{p.Key}: " + string.Join("; ", after[p.Key].Select(e =>
            $"{e.Worker} {e.Started:HH:mm:ss.fff}-{e.Finished:HH:mm:ss.fff} {e.Outcome} {e.Error}"))).ToList();
        Assert.True(more.Count == 0, "cells executed more than once:\n" + string.Join("\n", more));
    }

    /// <summary>Cells by state in the store a running process writes; none until it has created and migrated the file.</summary>
    public static CellCounts Counts(string db)
    {
        if (!File.Exists(db)) return new CellCounts(0, 0, 0, 0);
        try
        {
            using var store = ResultStore.OpenReadOnly(db);
            return store.Status().Cells;
        }
        catch (StoreException)
        {
            return new CellCounts(0, 0, 0, 0);
        }
    }

    /// <summary>
    /// A run resumed after one stopped part way (<paramref name="stopped"/>, <paramref name="before"/>: the cells and
    /// attempts it left) did all the cells and executed exactly the ones not done when it stopped (those left running
    /// included), each once; the cells done before kept their attempts as they were.
    /// </summary>
    public static void AssertResumed(string db, ExperimentPlan plan, IReadOnlyList<CellRecord> stopped,
        Dictionary<string, IReadOnlyList<Execution>> before, StoreStatus resumed)
    {
        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), resumed.Cells);
        var undone = stopped.Where(c => c.State != CellState.Done).Select(c => c.Key).Order().ToList();
        var after = Executions(db, plan);
        var added = Added(before, after);
        Assert.Equal(undone, added.Keys.Order());
        AssertOnceEach(added, after);
        Assert.Equal(before.Values.Sum(e => e.Count) + undone.Count, resumed.Computed);

        // An attempt the stopped run left open is closed as interrupted by the next run, not counted as an outcome.
        foreach (var cell in stopped.Where(c => c.State == CellState.Running))
        {
            var open = Assert.Single(before[cell.Key], e => e.Finished is null);
            Assert.Equal(ExecutionOutcome.Interrupted, after[cell.Key].Single(e => e.Id == open.Id).Outcome);
        }
    }

    /// <summary>
    /// Both stores hold the same results for every cell of the plan: scalars and tables equal, and the same artifact
    /// hashes, which name the SHA-256 of the bytes (so weights and maps are equal bit for bit).
    /// </summary>
    public static void AssertSameResults(string expectedDb, string actualDb, ExperimentPlan plan)
    {
        using var expected = ResultStore.OpenReadOnly(expectedDb);
        using var actual = ResultStore.OpenReadOnly(actualDb);
        foreach (var cell in plan.Cells)
        {
            var want = expected.Results(cell.Key);
            var got = actual.Results(cell.Key);
            Assert.Equal(want.Scalars, got.Scalars);
            Assert.Equal(want.Tables, got.Tables);
            Assert.Equal(want.Artifacts, got.Artifacts);
        }
    }
}

/// <summary>The xaigrid program built beside the tests (by the project reference), run as a child process.</summary>
internal static class XaigridProgram
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "xaigrid.dll");

    public static ProcessStartInfo StartInfo(string workingFolder, params string[] args)
    {
        // The test host names the dotnet it runs under; a bare "dotnet" is the fallback.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingFolder,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string workingFolder, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingFolder, args))!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
