using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Tests.Runs;
using XaiGrid.Store;
using Xunit.Abstractions;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// A 200 MB artifact crosses from the coordinator's process to a worker's in chunks. The coordinator never holds it
/// whole: it copies it out of its store into a spool file piece by piece and streams that file. The worker holds it
/// once: it writes the chunks to its cache file as they come (checking the hash) and then hands the file's bytes to
/// the cell. The artifact is the "weights" of a training cell recorded done beforehand; they are not a safetensors
/// file, so the one cell that needs them fails at once, with an error saying so, and nothing else grows the worker's
/// memory.
/// </summary>
[Collection(RunsCollection.Name)]
public sealed class ArtifactMemoryTests(ITestOutputHelper output)
{
    private const long ArtifactBytes = 200L << 20;
    /// <summary>Less than the artifact: it is never whole in the coordinator's memory (measured: +80 MB, LiteDB's cache included).</summary>
    private const long CoordinatorLimit = 150L << 20;

    /// <summary>The artifact once, and room for the process's own growth.</summary>
    private const long WorkerLimit = 300L << 20;

    [Fact]
    public async Task A_200_MB_artifact_crosses_between_processes_never_whole_in_the_coordinators_memory()
    {
        using var folder = new TempFolder();
        using var cluster = new ProcessCluster(folder.Path);
        // One gradient partial over 4 inputs needs the weights; its merge depends on it.
        var yaml = """
            name: big-weights
            data:
              mnist1d: {spec: mnist1d}
            models:
              cnn: {arch: mnist1d-cnn, data: mnist1d, optimizer: adam, lr: 1.0e-2, batch_size: 100, steps: 1, shuffle: false, seeds: [0]}
            explanations:
              - {name: maps, model: cnn, inputs: {ids: [0, 1, 2, 3]}, methods: [gradient]}
            partition:
              inputs_per_cell: 4

            """;
        var experiment = TinyExperiment.Write(folder.Path, yaml, "big.yaml");
        var plan = ExperimentRunner.Plan(experiment);
        Assert.Equal([CellKinds.Train, CellKinds.ExplainPartial, CellKinds.MergeMaps], plan.Cells.Select(c => c.Kind));
        var db = folder.File("big.db");
        var train = plan.Cells[0].Key;
        var weights = new byte[ArtifactBytes];
        new Random(7).NextBytes(weights.AsSpan(8));
        string hash;
        using (var store = ResultStore.Open(db))
        {
            var recorded = store.UpsertExperiment(plan.Experiment, experiment, yaml);
            store.ReplaceCells(recorded.Id, plan.Cells.Select(c => c.ToStore()).ToList());
            store.MarkRunning(train, "test");
            hash = store.PutArtifact(weights, Execution.ArtifactBytes.SafeTensors);
            store.MarkDone(train, new CellResults { Artifacts = new Dictionary<string, string> { ["weights"] = hash } }, "test");
        }
        weights = null!;

        var coordinator = cluster.Coordinator(experiment, db, "coordinator", "xaigrid.coordinator.max-deliveries = 1");
        await cluster.Until(() => ProcessCluster.Printed(coordinator, "coordinator: listening at"), "the coordinator to listen");
        long coordinatorStart = coordinator.ResidentBytes;
        var cache = Directory.CreateDirectory(folder.File("cache")).FullName;
        var worker = cluster.Worker("one", $"xaigrid.worker.artifact-cache-folder = \"{cache}\"");
        await cluster.Until(() => ProcessCluster.Printed(worker, "joining the coordinator"), "the worker to start");
        long workerStart = worker.ResidentBytes;

        // VmHWM only grows; read it until the coordinator exits, which it does as soon as both cells have failed.
        long coordinatorPeak = 0, workerPeak = 0;
        await cluster.Until(() =>
        {
            coordinatorPeak = Math.Max(coordinatorPeak, coordinator.PeakResidentBytes);
            workerPeak = Math.Max(workerPeak, worker.PeakResidentBytes);
            return Runs.Runs.Counts(db).Failed == 2;
        }, "the partial and its merge to fail", coordinator);
        await cluster.AssertExit(coordinator, 1);
        worker.Terminate();
        await cluster.AssertExit(worker, 0);

        var line = $"200 MB artifact: coordinator {coordinatorStart >> 20} MB at start, peak {coordinatorPeak >> 20} MB (+{(coordinatorPeak - coordinatorStart) >> 20} MB); " +
            $"worker {workerStart >> 20} MB at start, peak {workerPeak >> 20} MB (+{(workerPeak - workerStart) >> 20} MB)";
        output.WriteLine(line);
        Console.WriteLine(line);
        // It arrived whole: the cache holds it under its hash, and the cell failed on its content, not on its transfer.
        var cached = new FileInfo(Path.Combine(cache, hash));
        Assert.Equal(ArtifactBytes, cached.Length);
        var partial = Runs.Runs.Cells(db).Single(c => c.Kind == CellKinds.ExplainPartial);
        Assert.Contains("not plausible (not a safetensors file?)", partial.Error);
        Assert.InRange(coordinatorPeak - coordinatorStart, 0, CoordinatorLimit);
        Assert.InRange(workerPeak - workerStart, 0, WorkerLimit);
    }
}
