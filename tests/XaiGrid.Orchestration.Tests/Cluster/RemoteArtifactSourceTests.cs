using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Tests.Runs;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>A worker node's artifact fetches, against a probe standing in for the coordinator's artifact server.</summary>
public sealed class RemoteArtifactSourceTests() : Akka.TestKit.Xunit2.TestKit(ActorSystems.Reference)
{
    /// <summary>
    /// The coordinator was killed after the fetch went out, so no answer comes. When the node leaves the cluster (its
    /// cells' token is cancelled), the fetch ends at once instead of at the 10-minute artifact timeout, and the cell
    /// waiting for it stops, so the node can join the coordinator that starts again.
    /// </summary>
    [Fact]
    public async Task A_fetch_nobody_answers_ends_when_the_node_leaves_not_at_the_artifact_timeout()
    {
        var server = CreateTestProbe();
        using var leaving = new CancellationTokenSource();
        using var cache = new TempFolder();
        var settings = new WorkerSettings { ArtifactTimeout = TimeSpan.FromMinutes(10), ArtifactCacheFolder = cache.Path };
        using var source = new RemoteArtifactSource(Sys, server.Ref, settings, leaving.Token);
        var hash = new string('a', 64);

        var fetch = source.FileAsync(hash);
        Assert.Equal(hash, server.ExpectMsg<FetchArtifact>().Hash);
        await leaving.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(Directory.GetFiles(cache.Path));
    }
}
