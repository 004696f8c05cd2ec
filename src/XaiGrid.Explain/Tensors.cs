using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Explain;

/// <summary>Tensor helpers TorchSharp lacks.</summary>
internal static class Tensors
{
    /// <summary>A new CPU tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/> (exactly its elements).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> values, long[] shape) where T : unmanaged
    {
        var dtype = typeof(T) == typeof(float) ? ScalarType.Float32
            : typeof(T) == typeof(double) ? ScalarType.Float64
            : throw new NotSupportedException($"FromSpan<{typeof(T).Name}>");
        var t = empty(shape, dtype);
        if (t.numel() != values.Length) { t.Dispose(); throw new ArgumentException($"{values.Length} values for shape [{string.Join(", ", shape)}]"); }
        // An empty tensor may have no storage for Tensor.bytes to wrap.
        if (values.Length > 0) MemoryMarshal.AsBytes(values).CopyTo(t.bytes);
        return t;
    }
}
