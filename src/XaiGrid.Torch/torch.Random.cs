using XaiGrid.Torch.Native;
using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    /// <summary>
    /// A random number generator with its own state (libtorch's CPU MT19937 generator).
    /// Draws run on the CPU and are then moved, so a seed gives the same numbers on every device.
    /// </summary>
    public sealed class Generator : IDisposable
    {
        internal readonly GeneratorHandle Handle;

        public Generator(ulong seed) => Handle = new GeneratorHandle(Check(xg_generator_new(seed)));

        public ulong initial_seed() => xg_generator_initial_seed(Handle);

        public void Dispose() => Handle.Dispose();

        // Draws take the generator as a raw pointer, which skips SafeHandle's own check for a freed handle.
        internal IntPtr Raw => Handle.IsClosed ? throw new ObjectDisposedException(nameof(Generator), "the generator was disposed") : Handle.DangerousGetHandle();
    }

    private static IntPtr Raw(Generator? g) => g?.Raw ?? IntPtr.Zero;

    private unsafe delegate IntPtr Draw(long* shape, int ndim, IntPtr g, int dtype, int deviceType, int deviceIndex);

    private static unsafe Tensor Random(Draw f, long[] size, Generator? generator, ScalarType? dtype, Device? device)
    {
        var dev = device ?? CPU;
        fixed (long* s = size)
        {
            var t = new Tensor(f(s, size.Length, Raw(generator), (int)(dtype ?? float32), (int)dev.type, dev.index));
            GC.KeepAlive(generator);
            return t;
        }
    }

    /// <summary>Uniform on [0, 1).</summary>
    public static unsafe Tensor rand(long[] size, Generator? generator = null, ScalarType? dtype = null, Device? device = null) =>
        Random(xg_rand, size, generator, dtype, device);

    /// <summary>Standard normal.</summary>
    public static unsafe Tensor randn(long[] size, Generator? generator = null, ScalarType? dtype = null, Device? device = null) =>
        Random(xg_randn, size, generator, dtype, device);

    /// <summary>Integers uniform on [low, high).</summary>
    public static unsafe Tensor randint(long low, long high, long[] size, Generator? generator = null, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? CPU;
        fixed (long* s = size)
        {
            var t = new Tensor(xg_randint(low, high, s, size.Length, Raw(generator), (int)(dtype ?? int64), (int)dev.type, dev.index));
            GC.KeepAlive(generator);
            return t;
        }
    }

    public static Tensor randperm(long n, Generator? generator = null, Device? device = null)
    {
        var dev = device ?? CPU;
        var t = new Tensor(xg_randperm(n, Raw(generator), (int)dev.type, dev.index));
        GC.KeepAlive(generator);
        return t;
    }

    /// <summary>0/1 draws with probabilities <paramref name="p"/>, same shape and dtype as p.</summary>
    public static Tensor bernoulli(Tensor p, Generator? generator = null)
    {
        var t = new Tensor(xg_bernoulli(p.Handle, Raw(generator)));
        GC.KeepAlive(generator);
        return t;
    }

    public static unsafe Tensor normal(double mean, double std, long[] size, Generator? generator = null, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? CPU;
        fixed (long* s = size)
        {
            var t = new Tensor(xg_normal(mean, std, s, size.Length, Raw(generator), (int)(dtype ?? float32), (int)dev.type, dev.index));
            GC.KeepAlive(generator);
            return t;
        }
    }
}
