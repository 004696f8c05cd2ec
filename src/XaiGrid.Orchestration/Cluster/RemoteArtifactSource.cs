using System.Security.Cryptography;
using Akka.Actor;
using Akka.Streams;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// A worker node's artifacts: fetched from the coordinator's artifact server by hash, written to a cache folder chunk
/// by chunk while their hash is checked (memory holds a few chunks, however large the artifact), and kept there by
/// hash up to a size, least recently used first out. Cells asking for the same artifact at once share one fetch.
/// Thread-safe: every cell worker of the node uses it, from its own thread.
/// </summary>
public sealed class RemoteArtifactSource : IArtifactSource, IDisposable
{
    private readonly ActorSystem system;
    private readonly ICanTell server;
    private readonly WorkerSettings settings;
    private readonly CancellationToken cells;
    private readonly string folder;
    private readonly bool ownFolder;
    private readonly Lock gate = new();
    private readonly Dictionary<string, Task<string>> fetching = new();
    private int fetched;

    /// <param name="cells">Cancelled when the node leaves the cluster: a fetch in flight is abandoned then, so a cell
    /// waiting for an artifact from a coordinator that is gone stops instead of holding the node until the timeout.</param>
    public RemoteArtifactSource(ActorSystem system, ICanTell server, WorkerSettings settings, CancellationToken cells)
    {
        this.system = system;
        this.server = server;
        this.settings = settings;
        this.cells = cells;
        ownFolder = settings.ArtifactCacheFolder.Length == 0;
        folder = ownFolder ? Directory.CreateTempSubdirectory("xaigrid-artifacts-").FullName : Path.GetFullPath(settings.ArtifactCacheFolder);
        Directory.CreateDirectory(folder);
    }

    /// <summary>Artifacts fetched from the coordinator (cache hits not counted).</summary>
    public int Fetched => Volatile.Read(ref fetched);

    /// <summary>The cached file of an artifact, fetched first if it is not there.</summary>
    public string File(string hash) => FileAsync(hash).GetAwaiter().GetResult();

    public byte[] Get(string hash) => System.IO.File.ReadAllBytes(File(hash));

    public async Task<string> FileAsync(string hash)
    {
        if (!ContentHash.IsValid(hash)) throw new ArgumentException($"'{hash}' is not an artifact hash (64 lowercase hex digits)", nameof(hash));
        var path = Path.Combine(folder, hash);
        Task<string>? fetch;
        lock (gate)
        {
            if (System.IO.File.Exists(path))
            {
                System.IO.File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
                return path;
            }
            if (!fetching.TryGetValue(hash, out fetch)) fetching[hash] = fetch = Fetch(hash, path);
        }
        try
        {
            return await fetch;
        }
        finally
        {
            lock (gate)
                if (fetching.TryGetValue(hash, out var current) && current == fetch) fetching.Remove(hash);
        }
    }

    private async Task<string> Fetch(string hash, string path)
    {
        await Task.Yield();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cells);
        timeout.CancelAfter(settings.ArtifactTimeout);
        var part = path + $".{Guid.NewGuid():N}.part";
        try
        {
            object reply;
            try
            {
                reply = await server.Ask<object>(new FetchArtifact(hash), settings.ArtifactTimeout, timeout.Token);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException && !cells.IsCancellationRequested)
            {
                throw new TimeoutException($"artifact {hash}: the coordinator did not answer within {settings.ArtifactTimeout}");
            }
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length;
            await using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                switch (reply)
                {
                    case ArtifactInline inline:
                        file.Write(inline.Bytes);
                        sha.AppendData(inline.Bytes);
                        length = inline.Bytes.Length;
                        break;
                    case ArtifactStream stream:
                        length = 0;
                        await stream.Source.Source.RunForeach(chunk =>
                        {
                            file.Write(chunk.Bytes);
                            sha.AppendData(chunk.Bytes);
                            length += chunk.Bytes.Length;
                        }, system.Materializer()).WaitAsync(timeout.Token);
                        if (length != stream.Length) throw new InvalidDataException($"artifact {hash}: {length} bytes arrived of {stream.Length}");
                        break;
                    case ArtifactUnavailable unavailable:
                        throw new InvalidDataException($"artifact {hash}: the coordinator cannot serve it: {unavailable.Error}");
                    default:
                        throw new InvalidDataException($"artifact {hash}: unexpected answer {reply.GetType().Name}");
                }
            }
            var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
            if (actual != hash) throw new InvalidDataException($"artifact {hash}: received {length} bytes hashing to {actual}");
            lock (gate)
            {
                Evict(length);
                System.IO.File.Move(part, path, overwrite: true);
            }
            Interlocked.Increment(ref fetched);
            return path;
        }
        catch (OperationCanceledException) when (!cells.IsCancellationRequested)
        {
            throw new TimeoutException($"artifact {hash}: not fetched within {settings.ArtifactTimeout}");
        }
        finally
        {
            if (System.IO.File.Exists(part)) System.IO.File.Delete(part);
        }
    }

    /// <summary>Makes room for <paramref name="incoming"/> bytes: the least recently used artifacts go first.</summary>
    private void Evict(long incoming)
    {
        var files = new DirectoryInfo(folder).GetFiles().Where(f => ContentHash.IsValid(f.Name)).OrderBy(f => f.LastAccessTimeUtc).ToList();
        long total = files.Sum(f => f.Length) + incoming;
        foreach (var file in files)
        {
            if (total <= settings.ArtifactCacheBytes) break;
            total -= file.Length;
            file.Delete();
        }
    }

    public void Dispose()
    {
        if (!ownFolder) return;
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A cell still reading it; the temp folder is the system's to clean.
        }
    }
}
