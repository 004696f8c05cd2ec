namespace XaiGrid.Store;

/// <summary>A stored blob: its key is the hex SHA-256 of its bytes.</summary>
public sealed record Artifact(string Hash, string MediaType, byte[] Bytes);

public sealed partial class ResultStore
{
    /// <summary>
    /// Stores bytes under their SHA-256 and returns it; storing the same bytes again changes nothing (the first media
    /// type stays). With <paramref name="expectedHash"/> (what a worker claims it sent) a mismatch is refused.
    /// </summary>
    public string PutArtifact(byte[] bytes, string mediaType, string? expectedHash = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (string.IsNullOrWhiteSpace(mediaType) || !mediaType.Contains('/'))
            throw new StoreException($"artifact media type must look like type/subtype, got '{mediaType}'");
        string hash = ContentHash.Of(bytes);
        if (expectedHash is not null && expectedHash != hash)
            throw new StoreException($"artifact bytes hash to {hash}, not the expected {expectedHash}: they were corrupted in transit");
        return Write(() =>
        {
            Execute("""
                INSERT INTO artifacts (hash, media_type, size, created_ms, bytes) VALUES ($hash, $type, $size, $now, $bytes)
                ON CONFLICT (hash) DO NOTHING
                """, ("$hash", hash), ("$type", mediaType), ("$size", bytes.LongLength), ("$now", NowMs()), ("$bytes", bytes));
            return hash;
        });
    }

    public bool HasArtifact(string hash)
    {
        ContentHash.Require(hash, "artifact hash");
        return Scalar("SELECT 1 FROM artifacts WHERE hash = $hash", ("$hash", hash)) is not null;
    }

    /// <summary>Reads an artifact and checks that its bytes still hash to its key; a corrupt blob is an error, never returned.</summary>
    public Artifact GetArtifact(string hash)
    {
        ContentHash.Require(hash, "artifact hash");
        var rows = Query("SELECT media_type, size, bytes FROM artifacts WHERE hash = $hash",
            r => (MediaType: r.GetString(0), Size: r.GetInt64(1), Bytes: r.GetFieldValue<byte[]>(2)), ("$hash", hash));
        if (rows.Count == 0) throw new StoreException($"no artifact {hash} in {Path}");
        var (mediaType, size, bytes) = rows[0];
        string actual = ContentHash.Of(bytes);
        if (actual != hash || bytes.LongLength != size)
            throw new StoreException($"artifact {hash} in {Path} is corrupt: its {bytes.LongLength} stored bytes (recorded size {size}) hash to {actual}");
        return new Artifact(hash, mediaType, bytes);
    }
}
