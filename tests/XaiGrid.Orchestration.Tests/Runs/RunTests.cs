using System.Text.Json;
using XaiGrid.Data;
using XaiGrid.Explain;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Store;
using CellSpec = XaiGrid.Orchestration.Planning.CellSpec;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Tests.Runs;

/// <summary>The tiny experiment run once with two workers; the tests of the class read its store.</summary>
public sealed class TinyRun : IAsyncLifetime
{
    private readonly TempFolder folder = new();

    internal string Folder => folder.Path;

    internal string Experiment { get; private set; } = "";

    internal string Db => folder.File("two.db");

    internal ExperimentPlan Plan { get; private set; } = null!;

    internal RunSummary Summary { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Experiment = TinyExperiment.Write(Folder);
        Plan = ExperimentRunner.Plan(Experiment);
        Summary = await Runs.RunAsync(Experiment, Db, workers: 2, execute: Runs.Held(Db));
    }

    public Task DisposeAsync()
    {
        folder.Dispose();
        return Task.CompletedTask;
    }
}

[Collection(RunsCollection.Name)]
public class RunTests(TinyRun run) : IClassFixture<TinyRun>
{
    private static CellResults Results(string db, string key)
    {
        using var store = ResultStore.OpenReadOnly(db);
        return store.Results(key);
    }

    private static byte[] Artifact(string db, string hash)
    {
        using var store = ResultStore.OpenReadOnly(db);
        return store.GetArtifact(hash).Bytes;
    }

    private IEnumerable<CellSpec> Cells(string kind) => run.Plan.Cells.Where(c => c.Kind == kind);

    private static string Method(CellSpec cell) => cell.ParameterObject()["method"]!.GetValue<string>();

    [Fact]
    public void RunLeavesEveryCellDoneAndStatusCountsThePlan()
    {
        Assert.False(run.Summary.Interrupted);
        Assert.Equal(TinyExperiment.CellCount, run.Summary.CellsPlanned);
        Assert.Equal(26, TinyExperiment.CellCount);
        Assert.Equal(TinyExperiment.Stages, run.Plan.Cells.CountBy(c => c.Stage).Select(p => (p.Key, p.Value)));

        var status = run.Summary.Status;
        Assert.Equal(new CellCounts(0, 0, 26, 0), status.Cells);
        // Nothing failed, so each cell ran once.
        Assert.Equal(26, status.Computed);
        Assert.Equal(TinyExperiment.Stages.Select(s => new StageCounts(s.Stage, 0, 0, s.Cells, 0)), status.Stages);
        Assert.All(Runs.Cells(run.Db), c => Assert.Equal((CellState.Done, 1), (c.State, c.Attempts)));

        // `xaigrid status` reads the same numbers from the file.
        var (exit, stdout, stderr) = XaigridProgram.Run(run.Folder, "status", "--db", run.Db, "--json");
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(26, json.RootElement.GetProperty("cells").GetProperty("done").GetInt64());
        Assert.Equal(26, json.RootElement.GetProperty("computed").GetInt64());
        Assert.Equal(TinyExperiment.Stages.Select(s => (s.Stage, (long)s.Cells)),
            json.RootElement.GetProperty("stages").EnumerateArray().Select(s => (s.GetProperty("stage").GetString()!, s.GetProperty("done").GetInt64())));
    }

    /// <summary>
    /// The merged maps equal each method run directly over all 12 inputs at once: partitioning inputs and samples
    /// changes nothing but float64 rounding of the merge, because every draw is seeded by (seed, input id, sample).
    /// </summary>
    [Fact]
    public void MergedMapsEqualTheMethodsRunUnpartitioned()
    {
        long[] ids = Enumerable.Range(0, 12).Select(i => (long)i).ToArray();
        var train = Cells(CellKinds.Train).Single();
        using var artifacts = new StoreArtifactSource(run.Db);
        using var context = new WorkerContext(artifacts);
        using var split = DataSpec.Load("mnist1d");
        var model = context.Model("mnist1d-cnn", split, new DependencyResult(train.Key, train.Kind, Results(run.Db, train.Key)));
        using var scope = torch.NewDisposeScope();
        var positions = ids.Select(id => (long)Array.IndexOf(split.Test.Ids, id)).ToArray();
        var inputs = split.Test.Inputs.index_select(0, torch.tensor(positions));

        var merges = Cells(CellKinds.MergeMaps).ToList();
        Assert.Equal(["gradient", "smoothgrad", "rise"], merges.Select(Method));
        foreach (var merge in merges)
        {
            var results = Results(run.Db, merge.Key);
            var maps = Npy.load(Artifact(run.Db, results.Artifacts["maps"]));
            var targets = Npy.load(Artifact(run.Db, results.Artifacts["targets"])).data<long>().ToArray();
            // The default target is the predicted class.
            var method = MethodCatalog.Create(model, Method(merge), merge.ParameterObject()["params"]!.AsObject()
                .ToDictionary(p => p.Key, p => p.Value!.ToString()));
            Assert.Equal(method.Predict(inputs), targets);
            var expected = method.Attribute(inputs, targets, ids);
            // Maps over positions (RISE) have one channel; gradients have the input's shape; both are (12, 1, 40) here.
            Assert.Equal([12L, 1, 40], maps.shape);
            Assert.Equal(ScalarType.Float32, maps.dtype);
            float[] got = maps.data<float>().ToArray(), want = expected.contiguous().data<float>().ToArray();
            Assert.True(got.Any(v => v != 0), $"{Method(merge)}: every merged value is 0 (direct run: {want.Count(v => v != 0)} non-zero of {want.Length})");
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - want[i]) <= 1e-7 + 1e-5 * Math.Abs(want[i]), $"{Method(merge)} [{i}]: {got[i]} vs {want[i]}");
        }
    }

    [Fact]
    public void DropIncreaseIsComputedForEveryMethod()
    {
        var metrics = Cells("drop-increase").ToList();
        Assert.Equal(["gradient", "smoothgrad", "rise"], metrics.Select(Method));
        foreach (var metric in metrics)
        {
            var scalars = Results(run.Db, metric.Key).Scalars;
            Assert.Equal(12, scalars["count"]);
            Assert.InRange(scalars["drop_pct"], 0, 100);
            Assert.InRange(scalars["increase_pct"], 0, 100);
            // Increase% is the share of the 12 inputs whose probability rose: a multiple of 100/12.
            double risen = scalars["increase_pct"] * 12 / 100;
            Assert.Equal(Math.Round(risen), risen, 9);
        }
        var train = Results(run.Db, Cells(CellKinds.Train).Single().Key).Scalars;
        // 200 Adam steps get a CNN well above the 10% of chance on MNIST-1D.
        Assert.InRange(train["test_accuracy"], 0.3, 1);
    }

    [Fact]
    public async Task MapsAreBitwiseTheSameWithOneWorker()
    {
        using var folder = new TempFolder();
        var db = folder.File("one.db");
        var summary = await Runs.RunAsync(TinyExperiment.Write(folder.Path), db, workers: 1);
        Assert.Equal(26, summary.Status.Cells.Done);
        // Artifacts are named by the SHA-256 of their bytes; the bytes are compared too.
        foreach (var cell in Cells(CellKinds.Train).Concat(Cells(CellKinds.MergeMaps)))
        {
            var one = Results(db, cell.Key).Artifacts;
            var two = Results(run.Db, cell.Key).Artifacts;
            Assert.Equal(two, one);
            foreach (var (name, hash) in one) Assert.Equal(Artifact(run.Db, two[name]), Artifact(db, hash));
        }
        // The comparison means something only if the first run did share its cells between two workers.
        Assert.Equal(["worker-1", "worker-2"], Runs.Cells(run.Db).Select(c => c.Worker).Distinct().Order());
    }

    [Fact]
    public async Task ChangingSmoothGradNRecomputesExactlyTheCellsDownstreamOfIt()
    {
        using var folder = new TempFolder();
        var db = folder.File("changed.db");
        File.Copy(run.Db, db);
        var changed = TinyExperiment.Write(folder.Path, TinyExperiment.With(TinyExperiment.Yaml, "n: 8", "n: 12"));
        var plan = ExperimentRunner.Plan(changed);

        var smoothgrad = plan.Cells.Where(c => c.Kind == CellKinds.ExplainPartial && Method(c) == "smoothgrad").Select(c => c.Key);
        var downstream = TestSupport.Downstream(plan, smoothgrad);
        var oldKeys = run.Plan.Cells.Select(c => c.Key).ToHashSet();
        // 3 partials, their merge and its drop-increase: new keys, and no other key changed.
        Assert.Equal(5, downstream.Count);
        Assert.Equal(downstream.Order(), plan.Cells.Select(c => c.Key).Where(k => !oldKeys.Contains(k)).Order());

        var before = Runs.Executions(db, plan);
        var summary = await Runs.RunAsync(changed, db, workers: 2);
        var after = Runs.Executions(db, plan);
        var added = Runs.Added(before, after);
        Assert.Equal(downstream.Order(), added.Keys.Order());
        Runs.AssertOnceEach(added, after);
        // The experiment's status is its current plan: the n = 8 cells stay stored but no longer count.
        Assert.Equal(new CellCounts(0, 0, 26, 0), summary.Status.Cells);

        // Changing it back recomputes nothing: the n = 8 results are still stored under their keys.
        var original = TinyExperiment.Write(folder.Path);
        before = Runs.Executions(db, run.Plan);
        var again = await Runs.RunAsync(original, db, workers: 2);
        Assert.Empty(Runs.Added(before, Runs.Executions(db, run.Plan)));
        Assert.Equal(new CellCounts(0, 0, 26, 0), again.Status.Cells);
    }
}
