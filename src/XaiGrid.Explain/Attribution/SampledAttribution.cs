using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// A method whose map is a mean over N random samples per input (SmoothGrad, RISE). Sample s of input id is drawn
/// from a generator seeded by (seed, id, s) alone, so a map does not depend on how [0, N) is split into partial
/// ranges; <see cref="AttributePartial"/> runs one range and returns float64 sums. Implementations compute the terms
/// of a block of samples in one forward pass (<see cref="SampleTerms"/>).
/// </summary>
public abstract class SampledAttribution(Classifier model) : AttributionMethod(model)
{
    public ulong Seed { get; init; }

    /// <summary>N, the number of samples per input.</summary>
    public abstract long Samples { get; }

    /// <summary>One input at a time: its samples alone fill the batches.</summary>
    protected override long ChunkSize => 1;

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var maps = Partials(inputs, targets, ids, 0, Samples).Select(p => Finish(p, inputs.shape[1..])).ToList();
        return scope.MoveToOuter(torch.stack(maps));
    }

    /// <summary>The float64 (sum, count) of samples [start, end) of every input.</summary>
    public Partial[] AttributePartial(Tensor inputs, long[] targets, long[] ids, long start, long end)
    {
        if (start < 0 || end > Samples || start > end) throw new ArgumentOutOfRangeException(nameof(start), $"sample range [{start}, {end}) is not within [0, {Samples})");
        Prepare(inputs, targets, ids);
        return Partials(inputs, targets, ids, start, end);
    }

    /// <summary>
    /// The map of one input from its merged partial (all N samples), float32. <paramref name="inputShape"/> is the
    /// input's shape without the batch axis: a method whose terms are not shaped like its map (LIME's regression
    /// statistics) needs it to lay the map out.
    /// </summary>
    public Tensor Finish(Partial merged, long[] inputShape)
    {
        using var mean = merged.Mean();
        using var map = Scale(mean, inputShape);
        return map.to(ScalarType.Float32);
    }

    /// <summary>Turns the mean of the per-sample terms into the map (e.g. RISE divides by p1, LIME solves for its coefficients).</summary>
    protected virtual Tensor Scale(Tensor mean, long[] inputShape) => mean.alias();

    /// <summary>
    /// Samples are evaluated in fixed blocks [kB, (k + 1)B) of the whole range [0, N), B = min(MaxBatch, N): libtorch's
    /// float32 kernels may round a row differently with another batch size or position, so every sample is always
    /// computed in the same batch at the same row, whatever partial range asked for it. A range that starts or ends
    /// inside a block computes the whole block and keeps its part.
    /// </summary>
    private Partial[] Partials(Tensor inputs, long[] targets, long[] ids, long start, long end)
    {
        long block = Math.Max(1, Math.Min(MaxBatch, Samples));
        var result = new Partial[inputs.size(0)];
        for (int i = 0; i < result.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var x = inputs[i];
            Tensor sum = torch.zeros(SampleShape(x), ScalarType.Float64);
            for (long blockStart = start / block * block; blockStart < end; blockStart += block)
            {
                using var inner = torch.NewDisposeScope();
                long blockEnd = Math.Min(blockStart + block, Samples);
                var terms = SampleTerms(x, targets[i], ids[i], blockStart, blockEnd);
                // Summed in float64 (terms are the same bits whatever the split), so a split changes only float64 rounding.
                long first = Math.Max(start, blockStart), last = Math.Min(end, blockEnd);
                sum.add_(terms.narrow(0, first - blockStart, last - first).to(ScalarType.Float64).sum(dim: 0));
            }
            result[i] = Partial.FromTensor(ids[i], start, end, sum, end - start);
        }
        return result;
    }

    /// <summary>The seeds of samples [start, end) of input <paramref name="id"/>: sample s draws from (Seed, id, s) alone.</summary>
    protected ulong[] SampleSeeds(long id, long start, long end)
    {
        var seeds = new ulong[end - start];
        for (long s = start; s < end; s++) seeds[s - start] = Seeds.Derive(Seed, id, s);
        return seeds;
    }

    /// <summary>The shape of one sample term (the input's shape, unless the method says otherwise).</summary>
    protected virtual long[] SampleShape(Tensor x) => x.shape;

    /// <summary>The terms of samples [start, end) of one input x (no batch axis), stacked: (end - start, ...).</summary>
    protected abstract Tensor SampleTerms(Tensor x, long target, long id, long start, long end);
}
