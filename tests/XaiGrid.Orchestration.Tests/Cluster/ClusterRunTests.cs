using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Tests.Runs;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>A whole experiment in cluster mode: the real coordinator, the real cell executors in two workers, artifacts only over the broker.</summary>
public sealed class ClusterRunTests : BrokerTest
{
    [Fact]
    public async Task The_tiny_experiment_through_the_broker_stores_exactly_what_the_in_process_run_stores()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var plan = ExperimentRunner.Plan(experiment);
        var local = folder.File("local.db");
        var cluster = folder.File("cluster.db");
        await Runs.Runs.RunAsync(experiment, local, workers: 1);

        var settings = Settings() with { Worker = Settings().Worker with { Threads = 1 } };
        var workers = new[]
        {
            await StartWorker(settings with { Worker = settings.Worker with { Name = "one" } }, runners: null),
            await StartWorker(settings with { Worker = settings.Worker with { Name = "two" } }, runners: null),
        };
        using var artifacts = new StoreArtifactSource(cluster);
        var transport = new RabbitMqTransport(settings, artifacts);
        var summary = await ExperimentRunner.RunAsync(experiment, plan, cluster, transport).WaitAsync(TimeSpan.FromMinutes(3));
        foreach (var w in workers) w.Stop.Cancel();
        await Task.WhenAll(workers.Select(w => w.Run)).WaitAsync(Patience);

        Assert.Equal(TinyExperiment.CellCount, summary.Status.Cells.Done);
        Runs.Runs.AssertSameResults(local, cluster, plan);
        // Both workers took cells (merges too), and every artifact they read came from the coordinator over the broker.
        Assert.Equal(["one", "two"], Runs.Runs.Cells(cluster).Select(c => c.Worker).Distinct().Order());
        Assert.Equal(TinyExperiment.CellCount, workers.Sum(w => w.Worker.Completed));
    }
}
