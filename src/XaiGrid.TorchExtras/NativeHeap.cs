using System.Runtime.InteropServices;

namespace XaiGrid.TorchExtras;

/// <summary>
/// glibc's allocator, set up for libtorch's CPU tensors (allocated with posix_memalign). A training step of a small
/// network allocates and frees a few MB of activations and gradients at the top of the heap, and by default glibc gave
/// the freed top back to the OS after nearly every step and took it again in the next one, paying page faults on fresh
/// pages: 2354 brk calls in 1000 mnist1d-cnn steps, and a tenth of a training run's CPU time in the kernel and in
/// malloc (libtorch 1.13's allocation order did not trip it). Keeping 64 MB free at the top of each heap stops that.
/// Setting it also stops glibc's own raising of the size above which allocations get their own mapping (it raises it
/// up to 32 MB as such blocks are freed); it is set to that ceiling, so large tensors come from the heap too.
/// </summary>
public static class NativeHeap
{
    private const int M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3;

    [DllImport("libc")] private static extern int mallopt(int param, int value);

    /// <summary>Applies the settings to the whole process; call once at start-up. Without glibc, does nothing.</summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            mallopt(M_TOP_PAD, 64 << 20);
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): its allocator stays as it is.
        }
    }
}
