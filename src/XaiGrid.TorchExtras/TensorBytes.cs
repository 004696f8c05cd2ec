using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

/// <summary>
/// Raw element bytes (C order, little-endian) to and from CPU tensors, shared by the safetensors and .npy
/// readers and writers. Both formats store exactly what <c>Tensor.contiguous()</c> holds in memory on a
/// little-endian machine, so no per-element conversion is needed.
/// </summary>
internal static class TensorBytes
{
    static TensorBytes()
    {
        // The formats are little-endian and the copies below are plain memcpy.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("tensor files need a little-endian machine");
    }

    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Bool or ScalarType.Byte or ScalarType.Int8 => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new NotSupportedException($"dtype {type} is not stored in tensor files here"),
    };

    public static long NumElements(IReadOnlyList<long> shape, Func<string> where)
    {
        // Kept below 2^40 elements so that byte counts (times at most 8) cannot overflow.
        const long limit = 1L << 40;
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0 || (d > 0 && n > limit / d))
                throw new InvalidDataException($"{where()}: shape [{string.Join(", ", shape)}] has a negative or implausibly large size");
            n *= d;
        }
        return n;
    }

    /// <summary>A new CPU tensor holding a copy of <paramref name="data"/>, which must be exactly its bytes.</summary>
    public static Tensor ToTensor(ReadOnlySpan<byte> data, long[] shape, ScalarType dtype, Func<string> where)
    {
        // libtorch assumes bool bytes are 0 or 1; other values would make comparisons and sums wrong.
        if (dtype == ScalarType.Bool)
        {
            int bad = data.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0) throw new InvalidDataException($"{where()}: bool element {bad} has byte value {data[bad]}, expected 0 or 1");
        }
        var t = empty(shape, dtype);
        // An empty tensor may have no storage for Tensor.bytes to wrap.
        if (data.Length > 0) data.CopyTo(t.bytes);
        return t;
    }

    /// <summary>Byte length of a tensor's elements, checked against what a byte array can hold.</summary>
    public static int ByteLength(Tensor t, string what)
    {
        long n = t.numel() * ElementSize(t.dtype);
        if (n > Array.MaxLength) throw new ArgumentException($"{what} has {n} bytes, more than one buffer can hold ({Array.MaxLength})");
        return (int)n;
    }

    /// <summary>Copies the tensor's elements in C order (moving it to the CPU first if needed).</summary>
    public static void CopyTo(Tensor t, Span<byte> destination)
    {
        if (destination.Length == 0) return;
        using var scope = NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        c.bytes.CopyTo(destination);
    }
}
