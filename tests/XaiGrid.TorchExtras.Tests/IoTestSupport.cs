using System.Text.Json;

namespace XaiGrid.TorchExtras.Tests;

/// <summary>Paths to the shared data, reference runs of Debian's python3 (numpy, torch), and temp folders.</summary>
internal static class IoTestSupport
{
    public static string DataDir => Testing.Reference.DataDir;

    /// <summary>Runs /usr/bin/python3 (the one with numpy and torch) on a script; returns its stdout.</summary>
    public static string Python(string script, params string[] args) => Testing.Reference.Python(script, args);

    public static JsonElement PythonJson(string script, params string[] args) =>
        JsonDocument.Parse(Python(script, args)).RootElement;

    /// <summary>The elements of a tensor as doubles (exact for every dtype these tests use).</summary>
    public static double[] Values(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return Elements<double>(t.to(torch.float64));
    }

    /// <summary>A tensor's elements in C order; TorchSharp's data&lt;T&gt;().ToArray() throws on an empty tensor.</summary>
    public static T[] Elements<T>(Tensor t) where T : unmanaged => t.numel() == 0 ? [] : t.data<T>().ToArray();

    public static double[] Values(JsonElement array) =>
        array.EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            _ => v.GetDouble(),
        }).ToArray();

    /// <summary>Asserts exact equality of a tensor's elements (C order) with a JSON list printed by python.</summary>
    public static void AssertValues(JsonElement expected, Tensor actual, string what)
    {
        // int64 goes through long: doubles would round values beyond 2^53.
        if (actual.dtype == torch.int64) Assert.True(Longs(expected).SequenceEqual(Elements<long>(actual)), $"{what}: int64 values differ");
        else Assert.True(Values(expected).SequenceEqual(Values(actual)), $"{what}: values differ");
    }

    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>Each element's bit pattern (float16 widens to float32 exactly, NaN and sign kept).</summary>
    public static long[] Bits(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.dtype switch
        {
            ScalarType.Float64 => Elements<double>(t).Select(BitConverter.DoubleToInt64Bits).ToArray(),
            ScalarType.Float32 or ScalarType.Float16 => Elements<float>(t.to(torch.float32)).Select(f => (long)BitConverter.SingleToInt32Bits(f)).ToArray(),
            _ => Elements<long>(t.to(torch.int64)),
        };
    }

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-io-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
