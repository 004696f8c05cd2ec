using System.Security.Cryptography;
using System.Text;

namespace XaiGrid.Store.TestWriter;

/// <summary>The cells the tests expect: everything about cell i is computed from i, so a checker can recompute it.</summary>
public static class TestCells
{
    public static string Key(int i) => ContentHash.Of($"crash cell {i}");

    public static CellSpec Spec(int i) => new(Key(i), "explain", "crash", $$"""{"i":{{i}}}""");

    public static Dictionary<string, double> Scalars(int i) => new() { ["i"] = i, ["length"] = Length(i) };

    public static Dictionary<string, string> Tables(int i) => new() { ["curve"] = $"[{i},{Length(i)}]" };

    /// <summary>
    /// Every eighth cell's map is 20 MB (stored in two parts), the cell four before it 3 MB (several chunks, soon a
    /// checkpoint), the others a few kilobytes.
    /// </summary>
    public static int Length(int i) => (i % 8) switch
    {
        7 => 20_000_000,
        3 => 3_000_000,
        _ => 1000 * (1 + i % 60),
    };

    public static IEnumerable<(string Name, byte[] Bytes)> Artifacts(int i)
    {
        var bytes = new byte[Length(i)];
        new Random(i).NextBytes(bytes);
        yield return ("map", bytes);
        yield return ("key", Encoding.UTF8.GetBytes(Key(i)));
    }
}
