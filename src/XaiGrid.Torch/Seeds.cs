namespace XaiGrid.Torch;

/// <summary>
/// Derives generator seeds from what a draw is for (a run's seed and step, or a seed, an input id and a sample
/// index), never from how work is split, so results do not depend on batch sizes, shards or workers.
/// </summary>
public static class Seeds
{
    /// <summary>A 64-bit seed from <paramref name="seed"/> and identity parts, mixed with SplitMix64's finalizer.</summary>
    public static ulong Derive(ulong seed, params long[] parts)
    {
        ulong h = Mix(seed ^ 0x6A09E667F3BCC908UL);
        foreach (var p in parts) h = Mix(h ^ Mix(unchecked((ulong)p + 0x9E3779B97F4A7C15UL)));
        return h;
    }

    public static torch.Generator Generator(ulong seed, params long[] parts) => new(Derive(seed, parts));

    /// <summary>One draw of <see cref="Rows"/>: torch.rand or torch.randn of a shape and dtype, or torch.randint(Low, High) (int64).</summary>
    public sealed record Draw(Draw.Kind Distribution, long[] Shape, ScalarType DType, long Low = 0, long High = 0)
    {
        public enum Kind { Uniform, Normal, Integers }

        public static Draw Uniform(long[] shape, ScalarType dtype = ScalarType.Float32) => new(Kind.Uniform, shape, dtype);

        public static Draw Normal(long[] shape, ScalarType dtype = ScalarType.Float32) => new(Kind.Normal, shape, dtype);

        public static Draw Integers(long low, long high, long[] shape) =>
            low < high ? new(Kind.Integers, shape, ScalarType.Int64, low, high) : throw new ArgumentException($"randint needs low < high, got [{low}, {high})");
    }

    /// <summary>
    /// The draws of many samples in one native call, one result (seeds.Length, ...shape) per draw, on the CPU: row k of
    /// result i holds exactly what draw i (torch.rand/randn/randint) would give from a new
    /// <see cref="torch.Generator"/>(<paramref name="seeds"/>[k]) after draws 0..i-1. Drawing sample by sample with a
    /// generator each costs a few native calls per sample; this costs one for all of them.
    /// </summary>
    public static unsafe Tensor[] Rows(ulong[] seeds, params Draw[] draws)
    {
        var results = new Tensor[draws.Length];
        try
        {
            for (int i = 0; i < draws.Length; i++) results[i] = torch.empty([seeds.Length, .. draws[i].Shape], draws[i].DType);
            var handles = results.Select(r => r.RawHandle).ToArray();
            var kinds = draws.Select(d => (int)d.Distribution).ToArray();
            var lows = draws.Select(d => d.Low).ToArray();
            var highs = draws.Select(d => d.High).ToArray();
            fixed (ulong* s = seeds)
            fixed (IntPtr* h = handles)
            fixed (int* k = kinds)
            fixed (long* lo = lows, hi = highs)
                Native.LibTorch.Check(Native.LibTorch.xg_seeded_rows(s, seeds.Length, h, k, lo, hi, draws.Length));
            GC.KeepAlive(results);
            return results;
        }
        catch
        {
            foreach (var r in results) r?.Dispose();
            throw;
        }
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
