using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

/// <summary>The entry point, named as in TorchSharp and PyTorch: <c>torch.zeros</c>, <c>torch.nn.functional.conv2d</c>.</summary>
public static partial class torch
{
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType @bool = ScalarType.Bool;

    public static readonly Device CPU = Device.CPU;

    public static Device device(string name) => Device.Parse(name);

    public static DisposeScope NewDisposeScope() => new();

    // ---- from .NET data (always a copy) ----
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[] shape, Device? device = null, bool requires_grad = false)
        where T : unmanaged
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new TorchException($"shape [{string.Join(", ", shape)}] has a negative size");
            n *= d;
        }
        if (n != data.Length)
            throw new TorchException($"shape [{string.Join(", ", shape)}] holds {n} elements but {data.Length} were given");
        var dev = device ?? CPU;
        Tensor t;
        fixed (T* p = data)
        fixed (long* s = shape)
            t = new Tensor(xg_from_data(p, s, shape.Length, (int)ScalarTypes.Of<T>(), (int)dev.type, dev.index));
        if (requires_grad) t.requires_grad = true;
        return t;
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        tensor<T>(data.AsSpan(), shape ?? [data.LongLength], device, requires_grad);

    public static unsafe Tensor tensor<T>(T[,] data, Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        fixed (T* p = data)
            return tensor(new ReadOnlySpan<T>(p, data.Length), [data.GetLongLength(0), data.GetLongLength(1)], device, requires_grad);
    }

    /// <summary>A 0-d tensor.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = float32, Device? device = null)
    {
        using var t = tensor(new[] { value }, []);
        return t.to(dtype, device ?? CPU);
    }

    // ---- factories ----
    private unsafe delegate IntPtr Factory(long* shape, int ndim, int dtype, int deviceType, int deviceIndex);

    private static unsafe Tensor Make(Factory f, long[] size, ScalarType? dtype, Device? device, bool requires_grad)
    {
        var dev = device ?? CPU;
        Tensor t;
        fixed (long* s = size) t = new Tensor(f(s, size.Length, (int)(dtype ?? float32), (int)dev.type, dev.index));
        if (requires_grad) t.requires_grad = true;
        return t;
    }

    public static unsafe Tensor empty(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Make(xg_empty, size, dtype, device, requires_grad);

    public static unsafe Tensor zeros(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Make(xg_zeros, size, dtype, device, requires_grad);

    public static unsafe Tensor ones(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Make(xg_ones, size, dtype, device, requires_grad);

    public static unsafe Tensor full(long[] size, double value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var dev = device ?? CPU;
        Tensor t;
        fixed (long* s = size) t = new Tensor(xg_full(s, size.Length, value, (int)(dtype ?? float32), (int)dev.type, dev.index));
        if (requires_grad) t.requires_grad = true;
        return t;
    }

    public static Tensor zeros_like(Tensor t) => zeros(t.shape, t.dtype, t.device);
    public static Tensor ones_like(Tensor t) => ones(t.shape, t.dtype, t.device);
    public static Tensor full_like(Tensor t, double value) => full(t.shape, value, t.dtype, t.device);

    /// <summary>As torch.arange: int64 when start, end and step are whole numbers, else float32, unless dtype says.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? CPU;
        bool whole = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        return new Tensor(xg_arange(start, end, step, (int)(dtype ?? (whole ? int64 : float32)), (int)dev.type, dev.index));
    }

    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);

    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? CPU;
        return new Tensor(xg_linspace(start, end, steps, (int)(dtype ?? float32), (int)dev.type, dev.index));
    }

    public static Tensor eye(long n, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? CPU;
        return new Tensor(xg_eye(n, (int)(dtype ?? float32), (int)dev.type, dev.index));
    }

    // ---- combining ----
    private unsafe delegate IntPtr Combine(IntPtr* tensors, int n, long dim);

    private static unsafe Tensor Join(Combine f, IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = new IntPtr[tensors.Count];
        for (int i = 0; i < handles.Length; i++) handles[i] = tensors[i].RawHandle;
        fixed (IntPtr* p = handles)
        {
            var result = new Tensor(f(p, handles.Length, dim));
            GC.KeepAlive(tensors);
            return result;
        }
    }

    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(xg_cat, tensors, dim);

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(xg_stack, tensors, dim);

    public static Tensor where(Tensor condition, Tensor x, Tensor y) => new(xg_where(condition.Handle, x.Handle, y.Handle));

    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor addmm(Tensor bias, Tensor a, Tensor b) => new(xg_addmm(bias.Handle, a.Handle, b.Handle));

    // ---- process-wide settings ----
    public static void set_num_threads(int n) => Check(xg_set_num_threads(n));

    public static int get_num_threads() => xg_get_num_threads();

    /// <summary>Seeds the global generator (used where no explicit Generator is given).</summary>
    public static void manual_seed(ulong seed) => Check(xg_manual_seed(seed));

    public static class cuda
    {
        public static bool is_available() => xg_cuda_is_available() != 0;
    }
}
