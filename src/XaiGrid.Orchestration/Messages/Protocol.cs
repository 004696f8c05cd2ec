using Akka.Streams;
using XaiGrid.Orchestration.Execution;

namespace XaiGrid.Orchestration.Messages;

/// <summary>
/// A message that may travel between nodes. Every one is a record of this file, and the wire serializer
/// (<see cref="Wire.WireSerializer"/>) is bound to this interface: it knows each of them by a fixed manifest and
/// nothing else, so no type name read from the wire is ever instantiated.
/// </summary>
public interface IWireMessage;

// The work-pulling protocol (DESIGN.md §5). A worker node registers with the coordinator; each of its cell workers
// then asks for a cell whenever it is idle, and reports what became of it. The coordinator watches every worker:
// one that terminates (restarted apart, its node downed) gives its cell back.

/// <summary>A worker node introduces itself to the coordinator; answered with <see cref="WorkerRegistered"/>.</summary>
public sealed record RegisterWorker(string Name, int Slots) : IWireMessage;

/// <summary>
/// The coordinator's answer to <see cref="RegisterWorker"/>: it runs <paramref name="Experiment"/>, and serves
/// artifacts from the actor at <paramref name="ArtifactsPath"/> on its node.
/// </summary>
public sealed record WorkerRegistered(string Experiment, string ArtifactsPath) : IWireMessage;

/// <summary>A worker node stops (SIGTERM): the coordinator sends its cell workers nothing more.</summary>
public sealed record WorkerLeaving(string Name) : IWireMessage;

/// <summary>A cell worker is idle: the coordinator answers with a <see cref="RunCell"/> when it has a cell ready.</summary>
public sealed record RequestCell(string Worker) : IWireMessage;

/// <summary>A cell to run, and which attempt at it this is (1 for the first).</summary>
public sealed record RunCell(WorkItem Item, int Attempt) : IWireMessage;

/// <summary>
/// An artifact a cell produced: its name among the cell's results, media type, length and SHA-256. The bytes come
/// inline (<see cref="Bytes"/>) when the cell's artifacts are small, or else in order through the
/// <see cref="CellCompleted.Upload"/> stream.
/// </summary>
public sealed record ResultArtifact(string Name, string MediaType, long Length, string Hash, byte[]? Bytes);

/// <summary>What a finished cell produced.</summary>
public sealed record CellCompleted(
    string Key,
    string Worker,
    IReadOnlyDictionary<string, double> Scalars,
    IReadOnlyDictionary<string, string> Tables,
    IReadOnlyList<ResultArtifact> Artifacts,
    ISourceRef<ArtifactChunk>? Upload) : IWireMessage
{
    /// <summary>Bytes that travel in the stream rather than inline.</summary>
    public long StreamedBytes => Artifacts.Where(a => a.Bytes is null).Sum(a => a.Length);
}

/// <summary>A cell threw: its worker was restarted, and the coordinator retries the cell or records it failed.</summary>
public sealed record CellFailed(string Key, string Worker, string Error) : IWireMessage;

// Artifacts by hash, from the coordinator's store to the workers that need them.

/// <summary>A worker asks the coordinator's artifact server for the bytes of an artifact.</summary>
public sealed record FetchArtifact(string Hash) : IWireMessage;

/// <summary>A small artifact, whole.</summary>
public sealed record ArtifactInline(string Hash, string MediaType, byte[] Bytes) : IWireMessage;

/// <summary>A large artifact, as a stream of chunks to read once, within the stream-ref subscription timeout.</summary>
public sealed record ArtifactStream(string Hash, string MediaType, long Length, ISourceRef<ArtifactChunk> Source) : IWireMessage;

/// <summary>The artifact cannot be had (not in the store, corrupt, unreadable).</summary>
public sealed record ArtifactUnavailable(string Hash, string Error) : IWireMessage;

/// <summary>A piece of an artifact stream: at most xaigrid.artifacts.chunk-size bytes.</summary>
public sealed record ArtifactChunk(byte[] Bytes) : IWireMessage;
