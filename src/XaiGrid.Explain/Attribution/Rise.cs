using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// RISE (Petsiuk et al. 2018): map = sum_i p_c(x * M_i) M_i / (N p1) over N random masks. For an input of size H per
/// spatial axis, cell size C = ceil(H / s); mask i is an s (x s) binary grid with keep-probability p1, upsampled
/// (linear in 1-D, bilinear in 2-D, align_corners = false) to (s + 1) C and cropped to H at a random offset in
/// [0, C) per axis. A mask has one channel and multiplies every input channel, so maps are (N, 1, ...positions).
/// Mask i of input id comes from <see cref="Seeds.Generator"/>(Seed, id, i): the grid first, then the offsets.
/// Masks are made per batch of at most <see cref="AttributionMethod.MaxBatch"/>, so memory does not grow with N.
/// </summary>
public sealed class Rise(Classifier model, long n = 4000, long cells = 7, double p1 = 0.5) : SampledAttribution(model)
{
    public override long Samples { get; } = n > 0 ? n : throw new ArgumentOutOfRangeException(nameof(n), n, "RISE needs n >= 1 masks");

    /// <summary>s, the number of grid cells per spatial axis.</summary>
    public long Cells { get; } = cells > 0 ? cells : throw new ArgumentOutOfRangeException(nameof(cells), cells, "RISE needs cells >= 1");

    /// <summary>The probability that a grid cell is kept.</summary>
    public double P1 { get; } = p1 > 0 && p1 <= 1 ? p1 : throw new ArgumentOutOfRangeException(nameof(p1), p1, "RISE's keep-probability p1 must be in (0, 1]");

    /// <summary>Masks [start, end) of input <paramref name="id"/> for positions of <paramref name="size"/> (L) or (H, W): (end - start, 1, ...size), float32.</summary>
    public Tensor Masks(long[] size, long id, long start, long end)
    {
        if (size.Length is not (1 or 2) || size.Any(h => h < 1))
            throw new ArgumentException($"RISE masks need a spatial size (L) or (H, W) of positive lengths, got [{string.Join(", ", size)}]");
        if (start < 0 || end < start) throw new ArgumentOutOfRangeException(nameof(start), $"mask range [{start}, {end}) is empty or negative");
        using var scope = torch.NewDisposeScope();
        long n = end - start;
        var cell = size.Select(h => (h + Cells - 1) / Cells).ToArray();
        var draws = Seeds.Rows(SampleSeeds(id, start, end),
            [Seeds.Draw.Uniform(size.Select(_ => Cells).ToArray()), .. cell.Select(c => Seeds.Draw.Integers(0, c, [1]))]);
        var mode = size.Length == 1 ? torch.InterpolationMode.Linear : torch.InterpolationMode.Bilinear;
        var crop = F.interpolate(draws[0].lt(P1).to(ScalarType.Float32).unsqueeze(1), cell.Select(c => (Cells + 1) * c).ToArray(), mode: mode, align_corners: false);
        // Each mask's window [offset, offset + H) along each axis, gathered for all masks at once.
        for (int axis = 0; axis < size.Length; axis++)
        {
            long[] along = [.. Enumerable.Repeat(1L, size.Length + 2)];
            along[axis + 2] = size[axis];
            var index = draws[axis + 1].view([n, .. Enumerable.Repeat(1L, size.Length + 1)]) + torch.arange(size[axis]).view(along);
            long[] shape = crop.shape;
            shape[axis + 2] = size[axis];
            crop = crop.gather(axis + 2, index.expand(shape));
        }
        return scope.MoveToOuter(crop);
    }

    protected override long[] SampleShape(Tensor x) => [1, .. x.shape[1..]];

    protected override Tensor SampleTerms(Tensor x, long target, long id, long start, long end)
    {
        using var scope = torch.NewDisposeScope();
        var masks = Masks(x.shape[1..], id, start, end);
        var scores = TargetScores(x.unsqueeze(0) * masks, Enumerable.Repeat(target, (int)(end - start)).ToArray(), softmax: true);
        long[] column = [end - start, .. Enumerable.Repeat(1L, (int)x.ndim)];
        return scope.MoveToOuter(scores.view(column) * masks);
    }

    protected override Tensor Scale(Tensor mean, long[] inputShape) => mean.div(P1);
}
