using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch.IO;

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
    public static unsafe Tensor ToTensor(ReadOnlySpan<byte> data, long[] shape, ScalarType dtype, Func<string> where)
    {
        // libtorch assumes bool bytes are 0 or 1; other values would make comparisons and sums wrong.
        if (dtype == ScalarType.Bool)
        {
            int bad = data.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0) throw new InvalidDataException($"{where()}: bool element {bad} has byte value {data[bad]}, expected 0 or 1");
        }
        fixed (byte* p = data)
        fixed (long* s = shape)
            return new Tensor(xg_from_data(p, s, shape.Length, (int)dtype, (int)DeviceType.CPU, -1));
    }

    /// <summary>Byte length of a tensor's elements, checked against what a byte array can hold.</summary>
    public static int ByteLength(Tensor t, string what)
    {
        long n = t.numel() * t.dtype.ElementSize();
        if (n > Array.MaxLength) throw new TorchException($"{what} has {n} bytes, more than one buffer can hold ({Array.MaxLength})");
        return (int)n;
    }

    /// <summary>Copies the tensor's elements in C order (moving it to the CPU first if needed).</summary>
    public static unsafe void CopyTo(Tensor t, Span<byte> destination)
    {
        fixed (byte* p = destination) Check(xg_copy_to(t.Handle, p, destination.Length));
    }
}
