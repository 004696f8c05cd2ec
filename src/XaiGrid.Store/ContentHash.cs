using System.Security.Cryptography;
using System.Text;

namespace XaiGrid.Store;

/// <summary>Hex SHA-256, the form of every cell key and artifact hash in the store.</summary>
public static class ContentHash
{
    public const int HexLength = 64;

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Of(string text) => Of(Encoding.UTF8.GetBytes(text));

    public static bool IsValid(string? value) =>
        value is { Length: HexLength } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Keys become document ids and, downstream, names of fetched blobs: anything but a hash is refused.</summary>
    internal static void Require(string? value, string what)
    {
        if (!IsValid(value))
            throw new StoreException($"{what} must be {HexLength} lowercase hex digits (a SHA-256), got '{value}'");
    }
}
