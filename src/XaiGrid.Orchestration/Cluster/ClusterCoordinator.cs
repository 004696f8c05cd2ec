using Akka.Actor;
using Akka.Configuration;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// The <c>xaigrid coordinator</c> process (DESIGN.md §5): its node holds the store and is the cluster's seed (it joins
/// itself at the configured address); workers join it, register and pull cells. Beside the coordinator and the result
/// sink it runs the artifact server, and reads streamed results into spool files before the sink stores them. When the
/// run is over the node leaves the cluster, and the workers wait for the next coordinator.
/// </summary>
public static class ClusterCoordinator
{
    /// <summary>Where workers reach the artifact server on the coordinator's node.</summary>
    public const string ArtifactsPath = "/user/run/artifacts";

    /// <param name="options">Progress and logging; attempts, backoff and the longest cell come from <paramref name="settings"/>.</param>
    public static async Task<RunSummary> RunAsync(string experimentPath, ExperimentPlan plan, string databasePath, ClusterSettings settings,
        CoordinatorOptions? options = null, CancellationToken cancel = default)
    {
        options = (options ?? new CoordinatorOptions()) with
        {
            MaxAttempts = settings.Coordinator.MaxDeliveries,
            Backoff = settings.Coordinator.RetryBackoff,
            LongestCell = settings.Coordinator.LongestCell,
        };
        var config = ConfigurationFactory.ParseString("akka.actor.provider = cluster\nakka.cluster.roles = [coordinator]").WithFallback(settings.Config);
        var system = ActorSystems.Create(config, NodeTls.Setup(settings.Tls));
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(cluster.SelfAddress);
        options.Log?.WriteLine($"coordinator: listening at {cluster.SelfAddress}{(settings.Tls.Enabled ? " (mutual TLS)" : "")}");
        var spool = Directory.CreateTempSubdirectory("xaigrid-uploads-");
        try
        {
            return await ExperimentRunner.RunAsync(experimentPath, plan, databasePath, options, cancel, new ExperimentRunner.RunHost(
                system,
                Attach: async (_, spawn, _) => await spawn(ArtifactServer.Props(databasePath, spool.FullName, settings.Artifacts), "artifacts"),
                Stop: async s =>
                {
                    await CoordinatedShutdown.Get(s).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
                    await s.WhenTerminated;
                },
                ArtifactsPath: ArtifactsPath,
                Uploads: completed => UploadReceiver.Props(completed, spool.FullName),
                Admits: address => cluster.State.Members.Any(m => m.Address == address && m.Status == Akka.Cluster.MemberStatus.Up)));
        }
        finally
        {
            spool.Delete(recursive: true);
        }
    }
}
