using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Store;

namespace XaiGrid.Report.Tests;

/// <summary>
/// Result stores made once for all report tests by really running a tiny experiment: a 2 x 2 sweep, five methods on
/// eight test items with every metric, class-wide and per-instance influence, a compression grid, and a compression
/// job at a layer the network does not have, whose cells fail. <see cref="MixedDb"/> is a copy in which the
/// experiment was planned again with a third seed and a sixth method and not run, so it also holds pending cells.
/// </summary>
public sealed class StoreFixture : IDisposable
{
    /// <summary>The name has HTML in it: the report must show it as text.</summary>
    public const string Name = "tiny <i>report</i> & co";

    public const int Examples = 3, Methods = 5, ExplainedItems = 8;

    public const string Yaml = """
        name: "tiny <i>report</i> & co"
        data:
          mnist1d: {spec: mnist1d}
        models:
          sweep:
            arch: mnist1d-cnn
            data: mnist1d
            optimizer: adam
            lr: [1.0e-2, 3.0e-3]
            batch_size: 100
            steps: 100
            shuffle: false
            seeds: [0, 1]
          cnn:
            arch: mnist1d-cnn
            data: mnist1d
            optimizer: adam
            lr: 1.0e-2
            batch_size: 100
            steps: 300
            shuffle: false
            seeds: [0]
        explanations:
          - name: maps
            model: cnn
            inputs: {ids: [0, 1, 2, 3, 4, 5, 6, 7]}
            methods:
              - gradient
              - {method: integrated-gradients, steps: 8}
              - {method: smoothgrad, n: 8}
              - {method: gradcam, layer: conv3}
              - {method: rise, masks: 64, cells: 8, p1: 0.5}
        evaluations:
          - {explanations: maps, metric: drop-increase, frac: 0.3}
          - {explanations: maps, metric: insertion, steps: 10}
          - {explanations: maps, metric: deletion, steps: 10}
          - {explanations: maps, metric: sanity-check, method: gradient}
        influence:
          - {name: per-class, model: cnn, layer: conv2, qoi: class, doi: {class: [0, 1]}, top_k: 5}
          - {name: point, model: cnn, layer: conv2, qoi: class, doi: point, inputs: {ids: [0, 1, 2]}}
        compression:
          - {name: squeeze, model: cnn, layer: conv2, classes: [0, 1], top: [1, 2], bottom: [0, 1]}
          - {name: broken, model: cnn, layer: conv9, classes: [0], top: [1], bottom: [0]}
        partition:
          inputs_per_cell: 4
          samples_per_cell: 32
          instances_per_cell: 200
        report:
          examples: 3

        """;

    /// <summary>The re-planned experiment of <see cref="MixedDb"/>: a third seed and a sixth method, never run.</summary>
    public static readonly string Replanned = Yaml
        .Replace("    seeds: [0, 1]\n", "    seeds: [0, 1, 2]\n")
        .Replace("      - {method: rise, masks: 64, cells: 8, p1: 0.5}\n", "      - {method: rise, masks: 64, cells: 8, p1: 0.5}\n      - {method: gradcam, layer: conv2}\n");

    public string Folder { get; } = Directory.CreateTempSubdirectory("xaigrid-report-").FullName;
    public string Db => Path.Combine(Folder, "tiny.db");
    public string MixedDb => Path.Combine(Folder, "mixed.db");

    public StoreFixture()
    {
        if (Replanned == Yaml) throw new InvalidOperationException("the re-planned experiment equals the original: an edit did not apply");
        var experiment = Path.Combine(Folder, "tiny.yaml");
        File.WriteAllText(experiment, Yaml);
        var plan = ExperimentRunner.Plan(experiment);
        var summary = ExperimentRunner.RunAsync(experiment, plan, Db, new LocalWorkers(2, ThreadsPerWorker: 1), new CoordinatorOptions { MaxAttempts = 1 })
            .WaitAsync(TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        if (summary.Status.Cells.Pending + summary.Status.Cells.Running > 0)
            throw new InvalidOperationException($"the tiny run left cells undone: {summary.Status.ToJson()}");

        // The run closed its store: all of it is in the database file (LiteDB's log was checkpointed and removed).
        File.Copy(Db, MixedDb);
        var replanned = Path.Combine(Folder, "replanned.yaml");
        File.WriteAllText(replanned, Replanned);
        var cells = ExperimentRunner.Plan(replanned).Cells;
        using var store = ResultStore.Open(MixedDb);
        var stored = store.UpsertExperiment(Name, replanned, Replanned);
        store.UpsertCells(stored.Id, cells.Select(c => c.ToStore()).ToList());
    }

    private int outputs;

    /// <summary>A fresh output folder for one report (not created: the report creates it), removed with the fixture.</summary>
    public string NewOutput() => Path.Combine(Folder, $"out-{Interlocked.Increment(ref outputs)}");

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class StoreCollection : ICollectionFixture<StoreFixture>
{
    public const string Name = "tiny store";
}
