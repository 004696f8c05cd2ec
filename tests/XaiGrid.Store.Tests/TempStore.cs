using System.Security.Cryptography;
using System.Text;

namespace XaiGrid.Store.Tests;

/// <summary>A fresh folder per test for the database file(s), removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("xaigrid-store-").FullName;

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>A clock the test moves by hand, so stored times and durations have exact expected values.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

public static class Keys
{
    /// <summary>A content key as the orchestrator makes one, computed here independently of the store.</summary>
    public static string Of(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
