using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// The float64 sum of an estimator's per-sample terms over the sample range [Start, End) of one input, and how
/// many terms it holds. Estimators that are means of samples (SmoothGrad, RISE, class-wide influence) run as
/// partials over ranges; merging the partials of any split of [0, N) in range order gives the one-shot sum up to
/// float64 rounding.
/// </summary>
public sealed record Partial(long Id, long Start, long End, long[] Shape, double[] Sum, long Count)
{
    /// <summary>Adds partials of one input; they must be adjacent ranges with the same shape. Merges in range order.</summary>
    public static Partial Merge(IEnumerable<Partial> partials)
    {
        var ordered = partials.OrderBy(p => p.Start).ToList();
        if (ordered.Count == 0) throw new ArgumentException("nothing to merge");
        var first = ordered[0];
        var sum = (double[])first.Sum.Clone();
        long count = first.Count, end = first.End;
        foreach (var p in ordered.Skip(1))
        {
            if (p.Id != first.Id) throw new ArgumentException($"cannot merge partials of inputs {first.Id} and {p.Id}");
            if (p.Start != end) throw new ArgumentException($"partials of input {first.Id} leave a gap or overlap at sample {end} (next starts at {p.Start})");
            if (!p.Shape.SequenceEqual(first.Shape)) throw new ArgumentException($"partials of input {first.Id} have different shapes");
            for (int i = 0; i < sum.Length; i++) sum[i] += p.Sum[i];
            count += p.Count;
            end = p.End;
        }
        return new Partial(first.Id, first.Start, end, first.Shape, sum, count);
    }

    /// <summary>Sum / Count as a float64 tensor of <see cref="Shape"/>.</summary>
    public Tensor Mean()
    {
        if (Count == 0) throw new InvalidOperationException($"partial of input {Id} holds no samples");
        return torch.tensor(Sum.Select(v => v / Count).ToArray(), Shape);
    }

    internal static Partial FromTensor(long id, long start, long end, Tensor sum, long count) =>
        new(id, start, end, sum.shape, sum.to(ScalarType.Float64).contiguous().data<double>().ToArray(), count);
}
