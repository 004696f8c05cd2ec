using System.Runtime.InteropServices;
using XaiGrid.Torch.Native;
using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

/// <summary>
/// A libtorch tensor. Every tensor owns one native reference, freed by <see cref="Dispose"/>, by the
/// dispose scope it was created in, or (as a last resort) by the finalizer of its SafeHandle.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    internal readonly TensorHandle Handle;

    internal DisposeScope? Scope;

    internal Tensor(IntPtr handle)
    {
        Handle = new TensorHandle(Check(handle));
        DisposeScope.Current?.Add(this);
    }

    /// <summary>Wraps a handle that may legitimately be null (an absent gradient).</summary>
    internal static Tensor? FromNullable(IntPtr handle)
    {
        if (handle != IntPtr.Zero) return new Tensor(handle);
        if (TakeError() is { } error) throw error;
        return null;
    }

    public void Dispose() => Handle.Dispose();

    public bool IsDisposed => Handle.IsClosed;

    /// <summary>Removes this tensor from its dispose scope into the enclosing one (or none).</summary>
    public Tensor MoveToOuterDisposeScope() => Scope is null ? this : Scope.MoveToOuter(this);

    /// <summary>Removes this tensor from every dispose scope: the caller owns it.</summary>
    public Tensor DetachFromDisposeScope() => Scope is null ? this : Scope.Detach(this);

    // ---- metadata ----
    public long ndim => xg_ndim(Handle);

    public long dim() => ndim;

    public unsafe long[] shape
    {
        get
        {
            var s = new long[xg_ndim(Handle)];
            fixed (long* p = s) xg_shape(Handle, p);
            return s;
        }
    }

    public long size(int dim)
    {
        var s = shape;
        int d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length) throw new TorchException($"dim {dim} is out of range for a tensor of shape [{string.Join(", ", s)}]");
        return s[d];
    }

    public long numel() => xg_numel(Handle);

    public ScalarType dtype => (ScalarType)xg_dtype(Handle);

    public unsafe Device device
    {
        get
        {
            int type, index;
            xg_device(Handle, &type, &index);
            return new Device((DeviceType)type, index);
        }
    }

    public bool is_contiguous() => xg_is_contiguous(Handle) != 0;

    public bool is_leaf => xg_is_leaf(Handle) != 0;

    public bool requires_grad
    {
        get => xg_requires_grad(Handle) != 0;
        set => Check(xg_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    // ---- values ----
    public unsafe T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int))
        {
            long v;
            Check(xg_item_long(Handle, &v));
            return typeof(T) == typeof(long) ? (T)(object)v : (T)(object)checked((int)v);
        }
        double d;
        Check(xg_item(Handle, &d));
        if (typeof(T) == typeof(double)) return (T)(object)d;
        if (typeof(T) == typeof(float)) return (T)(object)(float)d;
        if (typeof(T) == typeof(bool)) return (T)(object)(d != 0);
        throw new NotSupportedException($"item<{typeof(T).Name}>");
    }

    /// <summary>Copies the elements (C order) into <paramref name="destination"/>, which must match numel and dtype.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var want = ScalarTypes.Of<T>();
        if (want != dtype) throw new TorchException($"copy to {typeof(T).Name}[] needs a {want} tensor, this one is {dtype}");
        fixed (T* p = destination) Check(xg_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>A copy of the elements in C order. The tensor's dtype must match <typeparamref name="T"/>.</summary>
    public T[] data<T>() where T : unmanaged
    {
        var result = new T[numel()];
        CopyTo<T>(result);
        return result;
    }

    public override string ToString() => $"tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}, device={device})";

    // ---- conversion ----
    public Tensor to(Device device) => new(xg_to(Handle, (int)dtype, (int)device.type, device.index));

    public Tensor to(ScalarType type) => new(xg_to(Handle, (int)type, (int)device.type, device.index));

    public Tensor to(ScalarType type, Device device) => new(xg_to(Handle, (int)type, (int)device.type, device.index));

    public Tensor to_type(ScalarType type) => to(type);

    public Tensor cpu() => to(Device.CPU);

    public Tensor @float() => to(ScalarType.Float32);

    public Tensor @double() => to(ScalarType.Float64);

    public Tensor @long() => to(ScalarType.Int64);

    public Tensor clone() => new(xg_clone(Handle));

    public Tensor detach() => new(xg_detach(Handle));

    public Tensor contiguous() => new(xg_contiguous(Handle));

    /// <summary>A second handle on the same tensor (shares data and autograd history), owned separately.</summary>
    public Tensor alias() => new(xg_alias(Handle));

    // ---- autograd ----
    /// <summary>The accumulated gradient, or null if none has been computed.</summary>
    public Tensor? grad
    {
        get => FromNullable(xg_grad(Handle));
        set
        {
            Check(xg_set_grad(Handle, value?.RawHandle ?? IntPtr.Zero));
            GC.KeepAlive(value);
        }
    }

    public void backward(Tensor? gradient = null, bool? retain_graph = null, bool create_graph = false)
    {
        Check(xg_backward(Handle, gradient?.RawHandle ?? IntPtr.Zero,
            retain_graph is null ? -1 : retain_graph.Value ? 1 : 0, create_graph ? 1 : 0));
        GC.KeepAlive(gradient);
    }

    public Tensor retain_grad()
    {
        Check(xg_retain_grad(Handle));
        return this;
    }

    // For calls that take a raw pointer (nullable or array arguments), which skip SafeHandle's own check:
    // a freed tensor passed there would be a use-after-free in native code.
    internal IntPtr RawHandle => IsDisposed ? throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed") : Handle.DangerousGetHandle();
}
