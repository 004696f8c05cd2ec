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
/// worker pulls at its own pace (Akka.Streams' flow control), never as one remoting frame. The artifact is first
/// copied out of the store into a spool file, piece by piece: memory holds a few chunks of it at a time, and the
/// store's shared lock is held for the copy only, not for as long as a slow worker takes to pull it.
/// </summary>
public sealed class ArtifactServer : ReceiveActor
{
    private readonly string databasePath;
    private readonly string spoolFolder;
    private readonly ArtifactSettings settings;
    private ResultStore? store;

    public ArtifactServer(string databasePath, string spoolFolder, ArtifactSettings settings)
    {
        this.databasePath = databasePath;
        this.spoolFolder = spoolFolder;
        this.settings = settings;
        Receive<FetchArtifact>(Serve);
    }

    public static Props Props(string databasePath, string spoolFolder, ArtifactSettings settings) =>
        Akka.Actor.Props.Create(() => new ArtifactServer(databasePath, spoolFolder, settings)).WithDispatcher("xaigrid.store-dispatcher");

    /// <summary>Artifacts served, whole or streamed.</summary>
    public static int Served => served;

    private static int served;

    private void Serve(FetchArtifact fetch)
    {
        // Deleted when closed: by this method for an inline artifact or an error, by the stream once it is done.
        var spooled = new FileStream(Path.Combine(spoolFolder, $"{Guid.NewGuid():N}.fetch"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        ArtifactInfo artifact;
        try
        {
            if (!ContentHash.IsValid(fetch.Hash)) throw new InvalidDataException($"'{fetch.Hash}' is not an artifact hash");
            store ??= ResultStore.OpenReadOnly(databasePath);
            artifact = store.CopyArtifact(fetch.Hash, spooled);
            spooled.Position = 0;
        }
        catch (Exception e) when (e is StoreException or InvalidDataException or IOException)
        {
            spooled.Dispose();
            Sender.Tell(new ArtifactUnavailable(fetch.Hash, e.Message));
            return;
        }
        Interlocked.Increment(ref served);
        if (artifact.Length <= settings.InlineBytes)
        {
            var bytes = new byte[artifact.Length];
            using (spooled) spooled.ReadExactly(bytes);
            Sender.Tell(new ArtifactInline(artifact.Hash, artifact.MediaType, bytes));
            return;
        }
        var (hash, mediaType, length) = artifact;
        StreamConverters.FromInputStream(() => spooled, settings.ChunkBytes)
            .Select(chunk => new ArtifactChunk(chunk.ToArray()))
            .RunWith(StreamRefs.SourceRef<ArtifactChunk>(), Context.Materializer())
            .PipeTo(Sender, success: source => new ArtifactStream(hash, mediaType, length, source),
                failure: e => new ArtifactUnavailable(hash, $"cannot stream it: {e.Message}"));
    }

    protected override void PostStop() => store?.Dispose();
}
