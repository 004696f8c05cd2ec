using System.Runtime.InteropServices;
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

    /// <summary>
    /// The occluded copies are written straight into the batch's memory, and their differences spread over the positions
    /// they cover in managed arrays: on MNIST-1D, a narrow and a fill_ per placement and the tensor sums after them took
    /// several times as long as the forward pass that scores the copies. Each copy is x with Baseline written into the
    /// window, so it is exact.
    /// </summary>
    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var x = inputs[0];
        long[] size = x.shape[1..];
        var placements = Placements(size);
        // A 1-D input is one row of positions.
        long height = size.Length == 2 ? size[0] : 1, width = size[^1];
        long windowHeight = size.Length == 2 ? Along(Window, 0, 2) : 1, windowWidth = Along(Window, size.Length - 1, size.Length);
        int positions = (int)(height * width);
        float[] input = x.contiguous().to(ScalarType.Float32).data<float>().ToArray();
        double original = TargetScores(inputs, targets, softmax: false).ToDouble();
        var total = new double[positions];
        var counts = new int[positions];
        foreach (var (start, count) in Chunks(placements.Count, MaxBatch))
        {
            using var inner = torch.NewDisposeScope();
            var batch = torch.empty([count, .. x.shape], ScalarType.Float32);
            var copies = MemoryMarshal.Cast<byte, float>(batch.bytes);
            for (int k = 0; k < count; k++)
            {
                var copy = copies.Slice(k * input.Length, input.Length);
                input.CopyTo(copy);
                foreach (int p in Covered(placements[(int)start + k]))
                    for (int c = p; c < input.Length; c += positions) copy[c] = (float)Baseline;
            }
            var scores = TargetScores(batch, Enumerable.Repeat(targets[0], (int)count).ToArray(), softmax: false).to(ScalarType.Float64).data<double>().ToArray();
            for (int k = 0; k < count; k++)
                foreach (int p in Covered(placements[(int)start + k]))
                {
                    total[p] += original - scores[k];
                    counts[p]++;
                }
        }
        var map = total.Select((t, p) => counts[p] > 0 ? (float)(t / counts[p]) : 0f).ToArray();
        return scope.MoveToOuter(torch.tensor(map, [1, 1, .. size]));

        // The positions (row-major) inside the window placed at `start`.
        IEnumerable<int> Covered(long[] start)
        {
            long top = size.Length == 2 ? start[0] : 0, left = start[^1];
            for (long i = top; i < top + windowHeight; i++)
                for (long j = left; j < left + windowWidth; j++) yield return (int)(i * width + j);
        }
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
