using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

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

    public static Generator Generator(ulong seed, params long[] parts) => new(Derive(seed, parts));

    /// <summary>One draw of <see cref="Rows"/>: torch.rand or torch.randn of a shape and dtype, or torch.randint(Low, High) (int64).</summary>
    public sealed record Draw(Draw.Kind Distribution, long[] Shape, ScalarType DType, long Low = 0, long High = 0)
    {
        public enum Kind { Uniform, Normal, Integers }

        public static Draw Uniform(long[] shape, ScalarType dtype = ScalarType.Float32) => new(Kind.Uniform, shape, dtype);

        public static Draw Normal(long[] shape, ScalarType dtype = ScalarType.Float32) => new(Kind.Normal, shape, dtype);

        public static Draw Integers(long low, long high, long[] shape) =>
            low < high ? new(Kind.Integers, shape, ScalarType.Int64, low, high) : throw new ArgumentException($"randint needs low < high, got [{low}, {high})");

        internal Tensor From(Generator g) => Distribution switch
        {
            Kind.Uniform => rand(Shape, DType, generator: g),
            Kind.Normal => randn(Shape, DType, generator: g),
            _ => randint(Low, High, Shape, ScalarType.Int64, generator: g),
        };
    }

    /// <summary>
    /// The draws of many samples, one result (seeds.Length, ...shape) per draw, on the CPU: row k of result i holds
    /// exactly what draw i (torch.rand/randn/randint) gives from a new <see cref="torch.Generator"/>(<paramref name="seeds"/>[k])
    /// after draws 0..i-1. Each sample draws into a tensor of its own, as torch.rand would, and the rows are stacked:
    /// drawing into a row view would depend on libtorch filling a view as it fills a fresh tensor.
    /// </summary>
    public static Tensor[] Rows(ulong[] seeds, params Draw[] draws)
    {
        // RISE's masks and LIME's samples take a generator each by the million: drawn in managed code with libtorch's
        // own algorithm, a sample costs nanoseconds instead of the microseconds of a Generator and a tensor per sample.
        if (draws.All(d => d.Distribution == Draw.Kind.Integers || d is { Distribution: Draw.Kind.Uniform, DType: ScalarType.Float32 }))
            return ManagedRows(seeds, draws);
        using var scope = NewDisposeScope();
        var rows = draws.Select(_ => new Tensor[seeds.Length]).ToArray();
        for (int k = 0; k < seeds.Length; k++)
        {
            using var g = new Generator(seeds[k]);
            for (int i = 0; i < draws.Length; i++) rows[i][k] = draws[i].From(g);
        }
        var results = draws.Select((d, i) => seeds.Length > 0 ? stack(rows[i]) : empty([0, .. d.Shape], d.DType)).ToArray();
        scope.MoveToOuter(results);
        return results;
    }

    private static Tensor[] ManagedRows(ulong[] seeds, Draw[] draws)
    {
        var sizes = draws.Select(d => (int)d.Shape.Aggregate(1L, (a, b) => a * b)).ToArray();
        var widths = draws.Select(d => d.Distribution == Draw.Kind.Integers && Mt19937.Takes64(d.Low, d.High) ? 2 : 1).ToArray();
        int count = sizes.Zip(widths, (size, width) => size * width).Sum();
        var numbers = new uint[seeds.Length * count];
        Mt19937.Outputs(seeds, count, numbers);
        var results = new Tensor[draws.Length];
        for (int i = 0, at = 0; i < draws.Length; at += sizes[i] * widths[i], i++)
        {
            var d = draws[i];
            if (d.Distribution == Draw.Kind.Uniform)
            {
                var u = new float[seeds.Length * sizes[i]];
                for (int k = 0; k < seeds.Length; k++)
                    for (int j = 0; j < sizes[i]; j++) u[k * sizes[i] + j] = Mt19937.Uniform(numbers[k * count + at + j]);
                results[i] = tensor(u, [seeds.Length, .. d.Shape]);
            }
            else
            {
                var integers = new long[seeds.Length * sizes[i]];
                for (int k = 0; k < seeds.Length; k++)
                    for (int j = 0; j < sizes[i]; j++)
                    {
                        int n = k * count + at + j * widths[i];
                        ulong number = widths[i] == 2 ? (ulong)numbers[n] << 32 | numbers[n + 1] : numbers[n];
                        integers[k * sizes[i] + j] = Mt19937.Integer(number, d.Low, d.High);
                    }
                results[i] = tensor(integers, [seeds.Length, .. d.Shape]);
            }
        }
        return results;
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
