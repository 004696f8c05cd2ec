using XaiGrid.Models.Architectures;
using XaiGrid.Torch;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// A method whose map is a mean over N random samples per input (SmoothGrad, RISE). Sample s of input id is drawn
/// from a generator seeded by (seed, id, s) alone, so a map does not depend on batch sizes or on how [0, N) is split
/// into partial ranges; <see cref="AttributePartial"/> runs one range and returns float64 sums.
/// </summary>
public abstract class SampledAttribution(Classifier model) : Attribution(model)
{
    public ulong Seed { get; init; }

    /// <summary>N, the number of samples per input.</summary>
    public abstract long Samples { get; }

    /// <summary>One input at a time: its samples alone fill the batches.</summary>
    protected override long ChunkSize => 1;

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var maps = Partials(inputs, targets, ids, 0, Samples).Select(Finish).ToList();
        return scope.MoveToOuter(torch.stack(maps));
    }

    /// <summary>The float64 (sum, count) of samples [start, end) of every input.</summary>
    public Partial[] AttributePartial(Tensor inputs, long[] targets, long[] ids, long start, long end)
    {
        if (start < 0 || end > Samples || start > end) throw new ArgumentOutOfRangeException(nameof(start), $"sample range [{start}, {end}) is not within [0, {Samples})");
        Prepare(inputs, targets, ids);
        return Partials(inputs, targets, ids, start, end);
    }

    /// <summary>The map of one input from its merged partial (all N samples), float32.</summary>
    public Tensor Finish(Partial merged)
    {
        using var mean = merged.Mean();
        using var map = Scale(mean);
        return map.to(ScalarType.Float32);
    }

    /// <summary>Turns the mean of the per-sample terms into the map (e.g. RISE divides by p1).</summary>
    protected virtual Tensor Scale(Tensor mean) => mean.alias();

    private Partial[] Partials(Tensor inputs, long[] targets, long[] ids, long start, long end)
    {
        var result = new Partial[inputs.size(0)];
        for (int i = 0; i < result.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var x = inputs[i];
            Tensor sum = torch.zeros(SampleShape(x), ScalarType.Float64);
            foreach (var (s0, count) in Chunks(end - start, MaxBatch))
            {
                using var inner = torch.NewDisposeScope();
                var terms = SampleTerms(x, targets[i], ids[i], start + s0, start + s0 + count);
                // Added one by one in sample order, so a split of the range changes only float64 rounding.
                for (long k = 0; k < count; k++) sum.add_(terms[k].to(ScalarType.Float64));
            }
            result[i] = Partial.FromTensor(ids[i], start, end, sum, end - start);
        }
        return result;
    }

    /// <summary>The shape of one sample term (the input's shape, unless the method says otherwise).</summary>
    protected virtual long[] SampleShape(Tensor x) => x.shape;

    /// <summary>The terms of samples [start, end) of one input x (no batch axis), stacked: (end - start, ...).</summary>
    protected abstract Tensor SampleTerms(Tensor x, long target, long id, long start, long end);
}
