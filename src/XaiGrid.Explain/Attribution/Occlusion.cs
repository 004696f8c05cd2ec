using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// Occlusion (Zeiler and Fergus 2014, with Captum's semantics): a window slides over the positions with the given
/// strides (starts 0, stride, ... while the window fits); each placement sets every channel inside it to
/// <see cref="Baseline"/>. A position's attribution is the mean, over the placements covering it, of
/// S_c(x) - S_c(x occluded); positions no placement covers get 0. Maps are (N, 1, ...positions). The occluded
/// copies of an input run in batches of at most <see cref="AttributionMethod.MaxBatch"/>.
/// </summary>
public sealed class Occlusion : AttributionMethod
{
    /// <param name="window">The window's length per spatial axis (one value for every axis).</param>
    /// <param name="strides">The step per spatial axis (one value for every axis); 1 by default.</param>
    public Occlusion(Classifier model, long[] window, long[]? strides = null, double baseline = 0) : base(model)
    {
        if (window.Length is not (1 or 2) || window.Any(w => w < 1))
            throw new ArgumentException($"occlusion window needs 1 or 2 positive lengths, got [{string.Join(", ", window)}]", nameof(window));
        strides ??= [1];
        if (strides.Length is not (1 or 2) || strides.Any(s => s < 1))
            throw new ArgumentException($"occlusion strides need 1 or 2 positive steps, got [{string.Join(", ", strides)}]", nameof(strides));
        Window = window;
        Strides = strides;
        Baseline = baseline;
    }

    public long[] Window { get; }

    public long[] Strides { get; }

    public double Baseline { get; }

    protected override long ChunkSize => 1;

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var x = inputs[0];
        long[] size = x.shape[1..];
        var placements = Placements(size);
        var total = torch.zeros([1, .. size], ScalarType.Float64);
        var counts = torch.zeros([1, .. size], ScalarType.Float64);
        double original = TargetScores(inputs, targets, softmax: false).ToDouble();
        foreach (var (start, count) in Chunks(placements.Count, MaxBatch))
        {
            using var inner = torch.NewDisposeScope();
            var masks = torch.zeros([count, 1, .. size]);
            for (int k = 0; k < count; k++)
            {
                var window = masks[k];
                for (int axis = 0; axis < size.Length; axis++)
                    window = window.narrow(axis + 1, placements[(int)start + k][axis], Along(Window, axis, size.Length));
                window.fill_(1);
            }
            // Exact at both ends: x * 0 + baseline inside a window, x * 1 + 0 outside.
            var occluded = x.unsqueeze(0) * (1 - masks) + masks * Baseline;
            var scores = TargetScores(occluded, Enumerable.Repeat(targets[0], (int)count).ToArray(), softmax: false);
            var differences = (original - scores.to(ScalarType.Float64)).view([count, .. Enumerable.Repeat(1L, size.Length + 1)]);
            var covered = masks.to(ScalarType.Float64);
            total.add_((differences * covered).sum(dim: 0));
            counts.add_(covered.sum(dim: 0));
        }
        var map = torch.where(counts.gt(0), total / counts.clamp_min(1), torch.zeros_like(total));
        return scope.MoveToOuter(map.to(ScalarType.Float32).unsqueeze(0));
    }

    /// <summary>The start of every window placement, one per axis, in row-major order.</summary>
    private List<long[]> Placements(long[] size)
    {
        if (Window.Length == 2 && size.Length != 2 || Strides.Length == 2 && size.Length != 2)
            throw new ArgumentException($"occlusion window [{string.Join(", ", Window)}] and strides [{string.Join(", ", Strides)}] don't fit inputs with positions [{string.Join(", ", size)}]");
        var result = new List<long[]> { Array.Empty<long>() };
        for (int axis = 0; axis < size.Length; axis++)
        {
            long window = Along(Window, axis, size.Length), stride = Along(Strides, axis, size.Length);
            if (window > size[axis])
                throw new ArgumentException($"occlusion window {window} is longer than the input's {size[axis]} positions along spatial axis {axis}");
            var starts = new List<long>();
            for (long s = 0; s + window <= size[axis]; s += stride) starts.Add(s);
            result = result.SelectMany(prefix => starts.Select(s => (long[])[.. prefix, s])).ToList();
        }
        return result;
    }

    private static long Along(long[] values, int axis, int rank) => values.Length == rank ? values[axis] : values[0];
}
