using System.Buffers;
using System.Security.Cryptography;
using LiteDB;

namespace XaiGrid.Store;

/// <summary>A stored blob: its key is the hex SHA-256 of its bytes.</summary>
public sealed record Artifact(string Hash, string MediaType, byte[] Bytes);

/// <summary>What <see cref="ResultStore.CopyArtifact"/> copied.</summary>
public sealed record ArtifactInfo(string Hash, string MediaType, long Length);

/// <summary>
/// Artifacts are LiteDB FileStorage files named by their hash, their media type in the file's metadata. They go in
/// and out in pieces, so an artifact of any size passes through a fixed amount of memory.
/// </summary>
public sealed partial class ResultStore
{
    /// <summary>
    /// A large artifact is committed every this many bytes (a whole number of FileStorage chunks): a transaction keeps
    /// every page it wrote in memory until it commits. The file's document comes last, so the artifact exists only
    /// once all of it is stored; chunks a killed upload committed before that are removed when it is stored again.
    /// </summary>
    private const int PartBytes = 64 * LiteFileStream<string>.MAX_CHUNK_SIZE;

    /// <summary>The pieces artifacts are copied in: whole FileStorage chunks, so none is stored short.</summary>
    private const int CopyBytes = 4 * LiteFileStream<string>.MAX_CHUNK_SIZE;

    private static ILiteStorage<string> Artifacts(LiteDatabase database) => database.GetStorage<string>(Schema.ArtifactFiles, Schema.ArtifactChunks);

    /// <summary>
    /// Stores bytes under their SHA-256 and returns it; storing the same bytes again changes nothing (the first media
    /// type stays). With <paramref name="expectedHash"/> (what a worker claims it sent) a mismatch is refused.
    /// </summary>
    public string PutArtifact(byte[] bytes, string mediaType, string? expectedHash = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        RequireMediaType(mediaType);
        string hash = ContentHash.Of(bytes);
        RequireExpected(hash, expectedHash);
        return Write(database => Store(database, hash, mediaType, new MemoryStream(bytes, writable: false), hashing: null));
    }

    /// <summary>
    /// Stores what <paramref name="content"/> holds from its position on, as <see cref="PutArtifact(byte[], string, string?)"/>
    /// does, without holding it in memory. The stream is read twice, to hash it and to store it, so it must seek; bytes
    /// that differ the second time are refused.
    /// </summary>
    public string PutArtifact(Stream content, string mediaType, string? expectedHash = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek) throw new ArgumentException("an artifact stream must seek: it is read once to hash it and once to store it", nameof(content));
        RequireMediaType(mediaType);
        long start = content.Position;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Pump(content, Stream.Null, sha);
        string hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        RequireExpected(hash, expectedHash);
        content.Position = start;
        return Write(database => Store(database, hash, mediaType, content, sha));
    }

    private static void RequireMediaType(string mediaType)
    {
        if (string.IsNullOrWhiteSpace(mediaType) || !mediaType.Contains('/'))
            throw new StoreException($"artifact media type must look like type/subtype, got '{mediaType}'");
    }

    private static void RequireExpected(string hash, string? expectedHash)
    {
        if (expectedHash is not null && expectedHash != hash)
            throw new StoreException($"artifact bytes hash to {hash}, not the expected {expectedHash}: they were corrupted in transit");
    }

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="hash"/> unless it is stored already; with
    /// <paramref name="hashing"/> the bytes stored are hashed again and must match.
    /// </summary>
    private string Store(LiteDatabase database, string hash, string mediaType, Stream content, IncrementalHash? hashing)
    {
        var storage = Artifacts(database);
        if (storage.Exists(hash)) return hash;
        // Only an upload of more than one part commits chunks before its end, and the same hash means the same length.
        bool inParts = content.Length - content.Position > PartBytes;
        if (inParts) DeleteChunks(database, hash);
        var file = storage.OpenWrite(hash, hash, new BsonDocument { ["media_type"] = mediaType });
        Pump(content, file, hashing, () => _database.CommitPart(database));
        if (hashing is not null && Convert.ToHexStringLower(hashing.GetHashAndReset()) is var stored && stored != hash)
        {
            // The file is not disposed, which would store its document. The parts committed so far go, committed too.
            if (inParts)
            {
                DeleteChunks(database, hash);
                _database.CommitPart(database);
            }
            throw new StoreException($"artifact bytes changed while they were stored: they hashed to {hash} first and to {stored} as they were stored");
        }
        file.Dispose();
        return hash;
    }

    /// <summary>Chunks of <paramref name="hash"/> without a file: an upload in parts that a killed writer left.</summary>
    private static void DeleteChunks(LiteDatabase database, string hash) =>
        database.GetCollection(Schema.ArtifactChunks).DeleteMany("_id BETWEEN {f: @0, n: 0} AND {f: @0, n: 2147483647}", hash);

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/>, hashing it; <paramref name="everyPart"/> after each <see cref="PartBytes"/>.</summary>
    private static long Pump(Stream source, Stream target, IncrementalHash? sha, Action? everyPart = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBytes);
        try
        {
            long total = 0, sincePart = 0;
            int read;
            while ((read = source.ReadAtLeast(buffer.AsSpan(0, CopyBytes), CopyBytes, throwOnEndOfStream: false)) > 0)
            {
                sha?.AppendData(buffer, 0, read);
                target.Write(buffer, 0, read);
                total += read;
                sincePart += read;
                if (everyPart is not null && sincePart >= PartBytes)
                {
                    everyPart();
                    sincePart = 0;
                }
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool HasArtifact(string hash)
    {
        ContentHash.Require(hash, "artifact hash");
        return Read(database => Artifacts(database).Exists(hash));
    }

    /// <summary>Reads an artifact and checks that its bytes still hash to its key; a corrupt blob is an error, never returned.</summary>
    public Artifact GetArtifact(string hash)
    {
        ContentHash.Require(hash, "artifact hash");
        return Read(database =>
        {
            var file = FindArtifact(database, hash);
            if (file.Length > Array.MaxLength)
                throw new StoreException($"artifact {hash} in {Path} holds {file.Length} bytes, more than an array can: copy it to a stream (CopyArtifact)");
            var bytes = new MemoryStream((int)file.Length);
            var copied = Copy(file, bytes);
            return new Artifact(hash, copied.MediaType, bytes.Length == bytes.Capacity ? bytes.GetBuffer() : bytes.ToArray());
        });
    }

    /// <summary>
    /// Writes an artifact to <paramref name="destination"/> piece by piece, checking its hash as it goes: when it turns
    /// out corrupt, the error comes after its bytes were written, and what <paramref name="destination"/> holds must be
    /// dropped. A reading process holds the store's shared lock meanwhile, so the writer waits for the copy.
    /// </summary>
    public ArtifactInfo CopyArtifact(string hash, Stream destination)
    {
        ContentHash.Require(hash, "artifact hash");
        ArgumentNullException.ThrowIfNull(destination);
        return Read(database => Copy(FindArtifact(database, hash), destination));
    }

    private LiteFileInfo<string> FindArtifact(LiteDatabase database, string hash) =>
        Artifacts(database).FindById(hash) ?? throw new StoreException($"no artifact {hash} in {Path}");

    private ArtifactInfo Copy(LiteFileInfo<string> file, Stream destination)
    {
        string hash = file.Id;
        string mediaType = file.Metadata["media_type"] is { IsString: true } type
            ? type.AsString
            : throw new StoreException($"artifact {hash} in {Path} has no media type in its metadata");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length;
        using (var source = file.OpenRead()) length = Pump(source, destination, sha);
        string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (actual != hash || length != file.Length)
            throw new StoreException($"artifact {hash} in {Path} is corrupt: its {length} stored bytes (recorded length {file.Length}) hash to {actual}");
        return new ArtifactInfo(hash, mediaType, length);
    }
}
