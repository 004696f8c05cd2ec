using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>
/// Internal influence (Leino et al. 2018) at a named layer, z = h(x): chi = E_{x ~ P}[dq/dz (h(x))] for a quantity of
/// interest q and a distribution of interest P. Maps come back shaped like the layer's output per instance,
/// (N, layer shape), float32, computed in float64. With <see cref="TimesActivation"/> each instance's map is
/// chi * h(x) (internal attribution). Without a <see cref="Quantity"/>, q is S_c with c each input's target (given,
/// or the predicted class), as in every <see cref="AttributionMethod"/>.
/// <para>
/// With an <see cref="DistributionOfInterest.Instances"/> distribution (class-wide influence: a class's
/// instances), chi is the same for every input; <see cref="AttributePartial"/> computes it as float64 (sum, count)
/// partials over instance ranges, which <see cref="Partial.Merge"/> joins into the one-shot mean whatever the split.
/// </para>
/// </summary>
public sealed class InternalInfluence(Classifier model, string layer, DistributionOfInterest? distribution = null,
    QuantityOfInterest? quantity = null, bool timesActivation = false) : AttributionMethod(model)
{
    private Slice? slice;

    public string Layer { get; } = Slice.CheckLayer(model, layer);

    /// <summary>P; the instance itself unless given.</summary>
    public DistributionOfInterest Distribution { get; } = distribution ?? new DistributionOfInterest.Point();

    /// <summary>q; null for each input's target class.</summary>
    public QuantityOfInterest? Quantity => quantity;

    public bool TimesActivation => timesActivation;

    protected override long ChunkSize =>
        Distribution is DistributionOfInterest.AroundInstance d ? Math.Max(1, MaxBatch / d.Weights.Length) : MaxBatch;

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var rows = targets.Select(QuantityWeights).ToArray();
        var chi = Distribution switch
        {
            DistributionOfInterest.AroundInstance around => Around(around, inputs, rows),
            DistributionOfInterest.Instances set => OverSet(set, targets, rows),
            _ => throw new NotSupportedException($"distribution of interest {Distribution.GetType().Name}"),
        };
        if (timesActivation) chi = chi * Sliced.Activations(inputs).to(ScalarType.Float64);
        return scope.MoveToOuter(chi.to(ScalarType.Float32));
    }

    /// <summary>
    /// The float64 sum of dq/dz over the instances [<paramref name="start"/>, <paramref name="end"/>) of the
    /// <see cref="DistributionOfInterest.Instances"/> distribution, with count end - start and the given id (e.g. the
    /// class). Needs a <see cref="Quantity"/>; the activation factor does not apply (no instance is explained).
    /// </summary>
    public Partial AttributePartial(long id, long start, long end)
    {
        if (Distribution is not DistributionOfInterest.Instances set)
            throw new InvalidOperationException($"partials need a set of instances as the distribution of interest, not {Distribution.GetType().Name}");
        if (quantity is null) throw new InvalidOperationException("class-wide influence needs a quantity of interest (e.g. QuantityOfInterest.Class(c))");
        if (start < 0 || end > set.Count || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"instance range [{start}, {end}) is not within [0, {set.Count})");
        Model.eval();
        using var scope = torch.NewDisposeScope();
        var sum = GradientSum(set, quantity.Weights(Model.NumClasses), start, end);
        return Partial.FromTensor(id, start, end, sum, end - start);
    }

    /// <summary>chi from the merged partial of all instances: the mean gradient, float32, shaped like the layer output.</summary>
    public static Tensor Finish(Partial merged)
    {
        using var mean = merged.Mean();
        return mean.to(ScalarType.Float32);
    }

    /// <summary>The <paramref name="k"/> most influential channels for one input (1, ...), highest score first.</summary>
    public long[] TopChannels(Tensor input, int k, long? target = null, ChannelReduction reduction = ChannelReduction.Max)
    {
        if (input.ndim < 1 || input.size(0) != 1)
            throw new ArgumentException($"top channels explain one input (1, ...), got shape [{string.Join(", ", input.shape)}]", nameof(input));
        using var map = Attribute(input, target is { } t ? [t] : null);
        using var one = map[0];
        return ChannelScores.Top(ChannelScores.Of(one, reduction), k);
    }

    /// <summary>The <paramref name="k"/> most influential channels of a merged class-wide partial, highest score first.</summary>
    public static long[] TopChannels(Partial merged, int k, ChannelReduction reduction = ChannelReduction.Max)
    {
        using var chi = Finish(merged);
        return ChannelScores.Top(ChannelScores.Of(chi, reduction), k);
    }

    // Built on first use: MaxBatch is only known once the initializers have run.
    private Slice Sliced => slice ??= new Slice(Model, Layer, MaxBatch);

    private double[] QuantityWeights(long target) =>
        (quantity ?? new QuantityOfInterest.Class((int)target)).Weights(Model.NumClasses);

    /// <summary>sum_k w_k dq/dz at the S points around every input: (n, layer shape), float64.</summary>
    private Tensor Around(DistributionOfInterest.AroundInstance around, Tensor inputs, double[][] rows)
    {
        var weights = around.Weights;
        int steps = weights.Length;
        long n = inputs.size(0);
        var points = around.Points(inputs);
        var pointRows = torch.tensor(rows.SelectMany(r => Enumerable.Repeat(r, steps)).SelectMany(r => r).Select(v => (float)v).ToArray(),
            [n * steps, Model.NumClasses]);
        var gradients = Sliced.Gradients(points, pointRows).to(ScalarType.Float64);
        // The instance alone (weight 1): its gradient is the expectation, with no sum to take.
        if (steps == 1 && weights[0] == 1) return gradients;
        var weight = torch.tensor(weights).view([1, steps, .. Enumerable.Repeat(1L, (int)gradients.ndim - 1)]);
        return (gradients.view([n, steps, .. gradients.shape[1..]]) * weight).sum(1);
    }

    /// <summary>The mean gradient over the whole set for every input's quantity, computed once per distinct quantity.</summary>
    private Tensor OverSet(DistributionOfInterest.Instances set, long[] targets, double[][] rows)
    {
        var means = new Dictionary<long, Tensor>();
        var chi = new Tensor[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            long key = quantity is null ? targets[i] : -1;
            if (!means.TryGetValue(key, out var mean))
            {
                using var sum = GradientSum(set, rows[i], 0, set.Count);
                means[key] = mean = sum / set.Count;
            }
            chi[i] = mean;
        }
        return torch.stack(chi);
    }

    /// <summary>
    /// The float64 sum of dq/dz over instances [start, end) of the set, for one quantity's weights. Float32 kernels
    /// may round a row differently in batches of other sizes or at other positions, so instance k is always computed
    /// at position k mod B of a batch of exactly B = min(MaxBatch, set size) rows (zero rows pad what lies outside the
    /// range): its gradient is then the same bits whatever the split, and partials differ from the one-shot sum only
    /// by float64 rounding.
    /// </summary>
    private Tensor GradientSum(DistributionOfInterest.Instances set, double[] weights, long start, long end)
    {
        using var scope = torch.NewDisposeScope();
        long size = Math.Min(MaxBatch, set.Count);
        var sum = torch.zeros(LayerShape(set), ScalarType.Float64);
        var rows = torch.tensor(weights.Select(v => (float)v).ToArray()).unsqueeze(0).expand(size, Model.NumClasses);
        for (long batchStart = start / size * size; start < end && batchStart < end; batchStart += size)
        {
            using var inner = torch.NewDisposeScope();
            long first = Math.Max(start, batchStart), count = Math.Min(end, batchStart + size) - first, offset = first - batchStart;
            var batch = torch.zeros([size, .. set.Set.shape[1..]], set.Set.dtype, set.Set.device);
            batch.narrow(0, offset, count).copy_(set.Set.narrow(0, first, count));
            var gradients = Sliced.Gradients(batch, rows);
            sum.add_(gradients.narrow(0, offset, count).to(ScalarType.Float64).sum(dim: 0));
        }
        return scope.MoveToOuter(sum);
    }

    private long[] LayerShape(DistributionOfInterest.Instances set)
    {
        using var probe = set.Set.narrow(0, 0, 1);
        using var z = Sliced.Activations(probe);
        return z.shape[1..];
    }
}
