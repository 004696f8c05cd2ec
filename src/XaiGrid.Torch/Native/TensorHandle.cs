using System.Runtime.InteropServices;

namespace XaiGrid.Torch.Native;

/// <summary>Owns one heap-allocated <c>at::Tensor</c> of the native shim; releasing it drops that reference.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibTorch.xg_free(handle);
        return true;
    }
}

/// <summary>Owns one <c>at::Generator</c>.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    public GeneratorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibTorch.xg_generator_free(handle);
        return true;
    }
}
