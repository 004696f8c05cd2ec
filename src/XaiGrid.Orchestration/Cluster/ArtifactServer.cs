using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Answers workers' <see cref="FetchArtifact"/> from the coordinator's store (a read-only connection of its own, on a
/// thread of its own: xaigrid.store-dispatcher): a small artifact whole, a large one as a stream ref of chunks that the
/// worker pulls at its own pace (Akka.Streams' flow control), never as one remoting frame.
/// </summary>
public sealed class ArtifactServer : ReceiveActor
{
    private readonly string databasePath;
    private readonly ArtifactSettings settings;
    private ResultStore? store;

    public ArtifactServer(string databasePath, ArtifactSettings settings)
    {
        this.databasePath = databasePath;
        this.settings = settings;
        Receive<FetchArtifact>(Serve);
    }

    public static Props Props(string databasePath, ArtifactSettings settings) =>
        Akka.Actor.Props.Create(() => new ArtifactServer(databasePath, settings)).WithDispatcher("xaigrid.store-dispatcher");

    /// <summary>Artifacts served, whole or streamed.</summary>
    public static int Served => served;

    private static int served;

    private void Serve(FetchArtifact fetch)
    {
        Artifact artifact;
        try
        {
            if (!ContentHash.IsValid(fetch.Hash)) throw new InvalidDataException($"'{fetch.Hash}' is not an artifact hash");
            store ??= ResultStore.OpenReadOnly(databasePath);
            artifact = store.GetArtifact(fetch.Hash);
        }
        catch (Exception e) when (e is StoreException or InvalidDataException or IOException)
        {
            Sender.Tell(new ArtifactUnavailable(fetch.Hash, e.Message));
            return;
        }
        Interlocked.Increment(ref served);
        if (artifact.Bytes.Length <= settings.InlineBytes)
        {
            Sender.Tell(new ArtifactInline(artifact.Hash, artifact.MediaType, artifact.Bytes));
            return;
        }
        var (hash, mediaType, length) = (artifact.Hash, artifact.MediaType, (long)artifact.Bytes.Length);
        Source.From(CellWorker.Chunks([artifact.Bytes], settings.ChunkBytes))
            .RunWith(StreamRefs.SourceRef<ArtifactChunk>(), Context.Materializer())
            .PipeTo(Sender, success: source => new ArtifactStream(hash, mediaType, length, source),
                failure: e => new ArtifactUnavailable(hash, $"cannot stream it: {e.Message}"));
    }

    protected override void PostStop() => store?.Dispose();
}
