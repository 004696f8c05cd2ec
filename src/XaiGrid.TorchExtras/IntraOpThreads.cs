using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace XaiGrid.TorchExtras;

/// <summary>
/// The calling thread's intra-op thread count, changed for a while without touching other threads'.
/// <c>torch.set_num_threads</c> would also change the count every thread takes at its first libtorch op; cells run on
/// pool threads, so a thread that starts meanwhile would keep the temporary count for good. libtorch's CPU build
/// parallelizes with OpenMP (the libgomp it brings, a dependency of libtorch_cpu.so) and MKL: <c>at::get_num_threads()</c>
/// and oneDNN read the calling thread's <c>omp_get_max_threads()</c>, MKL its thread-local count; both are set here.
/// </summary>
public static class IntraOpThreads
{
    // Resolved through libtorch_cpu.so, which exports MKL's function and finds libgomp's among its dependencies. MKL's C
    // entry point is MKL_Set_Num_Threads_Local (mkl.h's macro for mkl_set_num_threads_local, whose export is Fortran's,
    // taking a pointer).
    [DllImport("libtorch_cpu.so")] private static extern void omp_set_num_threads(int n);
    [DllImport("libtorch_cpu.so", EntryPoint = "MKL_Set_Num_Threads_Local")] private static extern int mkl_set_num_threads_local(int n);

    private sealed class Restore(int threads, int mklLocal) : IDisposable
    {
        public void Dispose()
        {
            omp_set_num_threads(threads);
            mkl_set_num_threads_local(mklLocal);
        }
    }

    private static readonly bool Available = Bind();

    private static bool Bind()
    {
        try
        {
            foreach (var name in new[] { nameof(omp_set_num_threads), nameof(mkl_set_num_threads_local) })
                Marshal.Prelink(typeof(IntraOpThreads).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs the calling thread's libtorch ops on at most <paramref name="n"/> threads until the result is disposed, on the
    /// same thread. Null (nothing to undo) when the thread uses no more already, or libtorch is not built this way.
    /// </summary>
    public static IDisposable? AtMost(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        // Also makes libtorch set up this thread's count now: done later, its setup would overwrite ours.
        int threads = torch.get_num_threads();
        if (threads <= n || !Available) return null;
        omp_set_num_threads(n);
        return new Restore(threads, mkl_set_num_threads_local(n));
    }
}
