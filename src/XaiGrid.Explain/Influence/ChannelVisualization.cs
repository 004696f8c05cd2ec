using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>
/// A channel's influence shown on the input (Leino et al. 2018, visualization of influential units): Integrated
/// Gradients of the channel's activation a_j(x) = sum over positions of h(x)_j with respect to the input, on the
/// quadrature of <see cref="IntegratedGradients"/>: (x - x') * sum_k w_k da_j/dx (x' + a_k (x - x')). Maps are
/// shaped like the inputs; completeness: a map adds up to a_j(x) - a_j(x') up to the quadrature error.
/// </summary>
public sealed class ChannelVisualization(Classifier model, string layer, int steps = 50, RiemannRule rule = RiemannRule.Trapezoid,
    double baseline = 0)
{
    private readonly DistributionOfInterest.LinearPath path = new(steps, rule, baseline);
    private Slice? slice;

    public Classifier Model => model;

    public string Layer { get; } = Slice.CheckLayer(model, layer);

    /// <summary>The most path points in one forward pass.</summary>
    public int MaxBatch { get; init; } = 128;

    // Built on first use: MaxBatch is only known once the initializers have run.
    private Slice Sliced => slice ??= new Slice(model, Layer, MaxBatch);

    /// <summary>The maps of channel <paramref name="channel"/> for every input (N, ...): float32, shaped like the inputs.</summary>
    public Tensor Attribute(Tensor inputs, long channel)
    {
        model.CheckInput(inputs);
        model.eval();
        var weights = path.Weights;
        long n = inputs.size(0), perChunk = Math.Max(1, MaxBatch / weights.Length);
        var maps = new List<Tensor>();
        Tensor? result = null;
        try
        {
            foreach (var (start, count) in AttributionMethod.Chunks(n, perChunk))
            {
                using var scope = torch.NewDisposeScope();
                var x = inputs.narrow(0, start, count);
                var gradients = Sliced.InputGradients(path.Points(x), z => Activation(z, channel)).to(ScalarType.Float64);
                var weight = torch.tensor(weights).view([1, weights.Length, .. Enumerable.Repeat(1L, (int)x.ndim - 1)]);
                var integral = (gradients.view([count, weights.Length, .. x.shape[1..]]) * weight).sum(1);
                var difference = (x - torch.full_like(x, path.Baseline)).to(ScalarType.Float64);
                maps.Add(scope.MoveToOuter((difference * integral).to(ScalarType.Float32)));
            }
            result = maps.Count == 1 ? maps[0] : torch.cat(maps);
            return result;
        }
        finally
        {
            foreach (var m in maps)
                if (!ReferenceEquals(m, result)) m.Dispose();
        }
    }

    /// <summary>The maps and every input's completeness delta: sum of the map - (a_j(x) - a_j(x')).</summary>
    public (Tensor maps, double[] deltas) AttributeWithDelta(Tensor inputs, long channel)
    {
        var maps = Attribute(inputs, channel);
        try
        {
            using var scope = torch.NewDisposeScope();
            var sums = maps.to(ScalarType.Float64).flatten(1).sum(1).data<double>().ToArray();
            var atInput = ChannelActivation(inputs, channel);
            var atBaseline = ChannelActivation(torch.full_like(inputs, path.Baseline), channel);
            return (maps, sums.Select((s, i) => s - (atInput[i] - atBaseline[i])).ToArray());
        }
        catch
        {
            maps.Dispose();
            throw;
        }
    }

    /// <summary>a_j(x) of every input: the sum of channel <paramref name="channel"/> of the layer's output.</summary>
    public double[] ChannelActivation(Tensor inputs, long channel)
    {
        model.eval();
        using var z = Sliced.Activations(inputs);
        using var a = Activation(z, channel);
        using var values = a.to(ScalarType.Float64);
        return values.data<double>().ToArray();
    }

    /// <summary>The sum over positions of one channel of layer outputs (n, C, ...): (n).</summary>
    private Tensor Activation(Tensor z, long channel)
    {
        if (z.ndim < 2 || channel < 0 || channel >= z.size(1))
            throw new ArgumentOutOfRangeException(nameof(channel), channel,
                $"layer '{Layer}' of {model.Arch} outputs [{string.Join(", ", z.shape[1..])}] per input; channel must be within [0, {(z.ndim < 2 ? 0 : z.size(1))})");
        using var selected = z.select(1, channel);
        return selected.ndim == 1 ? selected.alias() : selected.flatten(1).sum(1);
    }
}
