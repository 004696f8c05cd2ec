using System.Security.Cryptography;
using LiteDB;

namespace XaiGrid.Store.Tests;

public class ArtifactTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ResultStore _store;

    public ArtifactTests() => _store = ResultStore.Open(_temp.File("results.db"));

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void The_key_is_the_sha256_of_the_bytes_and_storing_twice_is_one_row()
    {
        byte[] bytes = Bytes(200_000, 1);
        string hash = _store.PutArtifact(bytes, "application/x-npy");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), hash);
        Assert.Equal(hash, _store.PutArtifact((byte[])bytes.Clone(), "image/png"));

        var artifact = _store.GetArtifact(hash);
        Assert.Equal(bytes, artifact.Bytes);
        Assert.Equal("application/x-npy", artifact.MediaType);
        Assert.NotEqual(hash, _store.PutArtifact(Bytes(200_000, 2), "application/x-npy"));
        Assert.True(_store.HasArtifact(hash));
        Assert.False(_store.HasArtifact(Keys.Of("absent")));
    }

    [Fact]
    public void Empty_bytes_are_an_artifact_too()
    {
        string hash = _store.PutArtifact([], "application/octet-stream");
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hash);
        Assert.Empty(_store.GetArtifact(hash).Bytes);
    }

    [Fact]
    public void A_claimed_hash_that_does_not_match_the_bytes_is_refused()
    {
        byte[] bytes = Bytes(64, 3);
        string wrong = Keys.Of("something else");
        Assert.Contains(wrong, Assert.Throws<StoreException>(() => _store.PutArtifact(bytes, "application/x-npy", wrong)).Message);
        Assert.False(_store.HasArtifact(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)),
            _store.PutArtifact(bytes, "application/x-npy", Convert.ToHexStringLower(SHA256.HashData(bytes))));
    }

    [Fact]
    public void A_blob_changed_behind_the_store_is_reported_corrupt_on_read()
    {
        byte[] bytes = Bytes(1000, 4);
        string hash = _store.PutArtifact(bytes, "application/x-safetensors");
        string path = _store.Path;
        _store.Dispose();
        byte[] flipped = (byte[])bytes.Clone();
        flipped[500] ^= 0x01;
        // The bytes of the one chunk changed behind the store, by LiteDB itself, as another program might.
        using (var raw = new LiteDatabase(new ConnectionString { Filename = path, Collation = Collation.Binary }))
        {
            var chunks = raw.GetCollection(Schema.ArtifactChunks);
            var chunk = Assert.Single(chunks.FindAll());
            chunk["data"] = flipped;
            Assert.True(chunks.Update(chunk));
        }
        using var reopened = ResultStore.OpenReadOnly(path);
        var error = Assert.Throws<StoreException>(() => reopened.GetArtifact(hash));
        Assert.Contains("corrupt", error.Message);
        Assert.Contains(hash, error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(flipped)), error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_large_stream_is_stored_in_parts_and_copied_back_bit_for_bit()
    {
        // 40 MB: three parts of 64 chunks and a short one, so the upload commits (and checkpoints) along the way.
        byte[] bytes = Bytes(40_000_000, 5);
        string hash = _store.PutArtifact(new MemoryStream(bytes), "application/x-npy");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), hash);
        var copy = new MemoryStream();
        Assert.Equal(new ArtifactInfo(hash, "application/x-npy", bytes.Length), _store.CopyArtifact(hash, copy));
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(bytes, _store.GetArtifact(hash).Bytes);
        // LiteDB's log was checkpointed into the database along the way (the parts before the last): it holds no more
        // than 8 MB after a write.
        Assert.InRange(new FileInfo(_temp.File("results-log.db")).Length, 0, 8 << 20);
        Assert.InRange(new FileInfo(_store.Path).Length, 2 * 64 * 255 * 1024, long.MaxValue);
    }

    [Fact]
    public void A_stream_is_stored_from_its_position_and_must_seek()
    {
        byte[] bytes = Bytes(3000, 6);
        var content = new MemoryStream(bytes) { Position = 1000 };
        string hash = _store.PutArtifact(content, "application/x-npy");
        Assert.Equal(bytes[1000..], _store.GetArtifact(hash).Bytes);
        Assert.Throws<ArgumentException>(() => _store.PutArtifact(new ForwardOnly(bytes), "application/x-npy"));
    }

    [Fact]
    public void Bytes_that_change_between_hashing_and_storing_are_refused_and_nothing_is_stored()
    {
        byte[] bytes = Bytes(300_000, 7);
        var changing = new ChangesAfterFirstPass((byte[])bytes.Clone());
        var error = Assert.Throws<StoreException>(() => _store.PutArtifact(changing, "application/x-npy"));
        Assert.Contains("changed while they were stored", error.Message);
        Assert.False(_store.HasArtifact(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.False(_store.HasArtifact(Convert.ToHexStringLower(SHA256.HashData(changing.ToArray()))));
        // The same bytes stored properly afterwards are whole.
        string hash = _store.PutArtifact(bytes, "application/x-npy");
        Assert.Equal(bytes, _store.GetArtifact(hash).Bytes);
    }

    [Fact]
    public void Chunks_an_interrupted_upload_left_are_replaced_when_the_bytes_are_stored_again()
    {
        // Large enough to be stored in parts: only such an upload commits chunks before its end.
        byte[] bytes = Bytes(17_000_000, 8);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string path = _store.Path;
        _store.Dispose();
        // What a writer killed in the middle of a large artifact leaves: committed chunks (here of other bytes), no file.
        using (var raw = new LiteDatabase(new ConnectionString { Filename = path, Collation = Collation.Binary }))
            for (int n = 0; n < 2; n++)
                raw.GetCollection(Schema.ArtifactChunks).Insert(new BsonDocument
                {
                    ["_id"] = new BsonDocument { ["f"] = hash, ["n"] = n },
                    ["data"] = Bytes(1000, 100 + n),
                });
        using var reopened = ResultStore.Open(path);
        Assert.False(reopened.HasArtifact(hash));
        Assert.Equal(hash, reopened.PutArtifact(bytes, "application/x-npy"));
        Assert.Equal(bytes, reopened.GetArtifact(hash).Bytes);
    }

    /// <summary>A stream that cannot seek, as a network stream.</summary>
    private sealed class ForwardOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Hands out its bytes, then other bytes once it has been rewound: a file rewritten while it was stored.</summary>
    private sealed class ChangesAfterFirstPass(byte[] bytes) : MemoryStream(bytes, 0, bytes.Length, writable: true, publiclyVisible: true)
    {
        private int _rewinds;

        public override long Position
        {
            get => base.Position;
            set
            {
                base.Position = value;
                if (++_rewinds == 1) GetBuffer()[bytes.Length / 2] ^= 0xFF;
            }
        }
    }

    [Fact]
    public void Unknown_hashes_and_bad_media_types_are_clear_errors()
    {
        Assert.Contains("no artifact", Assert.Throws<StoreException>(() => _store.GetArtifact(Keys.Of("absent"))).Message);
        Assert.Contains("hex", Assert.Throws<StoreException>(() => _store.GetArtifact("weights.safetensors")).Message);
        Assert.Contains("media type", Assert.Throws<StoreException>(() => _store.PutArtifact([1], "npy")).Message);
    }
}
