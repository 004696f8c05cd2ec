using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

/// <summary>Shared data (../shared/data beside the repository), numpy references and tensor comparisons.</summary>
internal static class TestData
{

    /// <summary>A path under the shared data folder, e.g. File("mnist", "images.npy").</summary>
    public static string File(params string[] parts) => Path.Combine([Testing.Reference.DataDir, .. parts]);

    public static string MnistImages => File("mnist", "images.npy");

    public static string MnistLabels => File("mnist", "labels.npy");

    /// <summary>
    /// Runs a script with the system python that has numpy (not the pyenv one on PATH); arguments arrive in
    /// sys.argv[1:]. Returns stdout.
    /// </summary>
    public static string Python(string script, params string[] args) => Testing.Reference.Python(script, args);

    /// <summary>Whitespace-separated numbers printed by python (repr of float64 round-trips exactly).</summary>
    public static double[] Numbers(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Same shape and bit-for-bit the same float32 values.</summary>
    public static void AssertEqual(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(ScalarType.Float32, actual.dtype);
        using var e = expected.to(ScalarType.Float32);
        var want = e.data<float>().ToArray();
        var got = actual.data<float>().ToArray();
        int first = Enumerable.Range(0, want.Length).FirstOrDefault(i => want[i] != got[i], -1);
        Assert.True(first < 0, first < 0 ? "" : $"element {first} (of {want.Length}): expected {want[first]:R}, got {got[first]:R}");
    }

    /// <summary>Same shape and float32 values within <paramref name="tolerance"/> of each other.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(ScalarType.Float32, actual.dtype);
        using var e = expected.to(ScalarType.Float32);
        var want = e.data<float>().ToArray();
        var got = actual.data<float>().ToArray();
        int worst = Enumerable.Range(0, want.Length).MaxBy(i => Math.Abs((double)want[i] - got[i]));
        double gap = Math.Abs((double)want[worst] - got[worst]);
        Assert.True(gap <= tolerance, $"element {worst} (of {want.Length}): expected {want[worst]:R}, got {got[worst]:R}, {gap:G3} apart (tolerance {tolerance:G3})");
    }
}

/// <summary>A fresh empty folder under the temp directory, deleted when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-data-").FullName;

    /// <summary>A path inside the folder; its parent folders are created.</summary>
    public string File(params string[] parts)
    {
        var path = System.IO.Path.Combine([Path, .. parts]);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
