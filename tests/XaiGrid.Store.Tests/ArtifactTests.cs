using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

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
        byte[] flipped = (byte[])bytes.Clone();
        flipped[500] ^= 0x01;
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _store.Path, Pooling = false }.ToString()))
        {
            raw.Open();
            using var update = raw.CreateCommand();
            update.CommandText = "UPDATE artifacts SET bytes = $bytes WHERE hash = $hash";
            update.Parameters.AddWithValue("$bytes", flipped);
            update.Parameters.AddWithValue("$hash", hash);
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        var error = Assert.Throws<StoreException>(() => _store.GetArtifact(hash));
        Assert.Contains("corrupt", error.Message);
        Assert.Contains(hash, error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(flipped)), error.Message);
    }

    [Fact]
    public void Unknown_hashes_and_bad_media_types_are_clear_errors()
    {
        Assert.Contains("no artifact", Assert.Throws<StoreException>(() => _store.GetArtifact(Keys.Of("absent"))).Message);
        Assert.Contains("hex", Assert.Throws<StoreException>(() => _store.GetArtifact("weights.safetensors")).Message);
        Assert.Contains("media type", Assert.Throws<StoreException>(() => _store.PutArtifact([1], "npy")).Message);
    }
}
