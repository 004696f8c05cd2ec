namespace XaiGrid.TorchExtras.Tests;

/// <summary>Assertions on a tensor's shape and elements (C order).</summary>
internal static class TensorAssert
{
    /// <summary>Asserts the shape and that every element is within <paramref name="tolerance"/> of <paramref name="expected"/>.</summary>
    public static void Close(long[] shape, double[] expected, Tensor actual, double tolerance = 1e-6)
    {
        Assert.Equal(shape, actual.shape);
        Close(expected, actual, tolerance);
    }

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-6)
    {
        var a = IoTestSupport.Values(actual);
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {a[i]}");
    }

    public static void Longs(long[] shape, long[] expected, Tensor actual)
    {
        Assert.Equal(shape, actual.shape);
        Assert.Equal(torch.int64, actual.dtype);
        Assert.Equal(expected, actual.data<long>().ToArray());
    }
}
