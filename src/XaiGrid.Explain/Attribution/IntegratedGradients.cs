using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>The quadrature rule of Integrated Gradients: points a_k in [0, 1] and weights w_k, as Captum's approximation methods.</summary>
public enum RiemannRule { Left, Right, Middle, Trapezoid }

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017): (x - x') * sum_k w_k dS_c/dx (x' + a_k (x - x')), with baseline x'
/// (a constant, zeros by default) and <see cref="Steps"/> gradient evaluations. Completeness: the attributions add
/// up to S_c(x) - S_c(x') up to the quadrature error, reported by <see cref="AttributeWithDelta"/>.
/// </summary>
public sealed class IntegratedGradients(Classifier model, int steps = 50, RiemannRule rule = RiemannRule.Trapezoid, double baseline = 0)
    : AttributionMethod(model)
{
    public int Steps => steps >= (rule == RiemannRule.Trapezoid ? 2 : 1) ? steps
        : throw new ArgumentOutOfRangeException(nameof(steps), steps, "Integrated Gradients needs at least 1 step (2 for trapezoid)");

    public RiemannRule Rule => rule;

    public double Baseline => baseline;

    /// <summary>
    /// Points and weights of the rule over [0, 1] with <see cref="Steps"/> points, Captum's points. The trapezoid weights
    /// are the true rule's and sum to 1; Captum's riemann_trapezoid weighs its points 1/n, halved at the ends, which
    /// sum to 1 - 1/n, so its maps are (n-1)/n of ours.
    /// </summary>
    public static (double[] alphas, double[] weights) Quadrature(RiemannRule rule, int steps)
    {
        var alphas = new double[steps];
        var weights = new double[steps];
        for (int k = 0; k < steps; k++)
        {
            (alphas[k], weights[k]) = rule switch
            {
                RiemannRule.Left => ((double)k / steps, 1.0 / steps),
                RiemannRule.Right => ((k + 1.0) / steps, 1.0 / steps),
                RiemannRule.Middle => ((k + 0.5) / steps, 1.0 / steps),
                _ => ((double)k / (steps - 1), (k == 0 || k == steps - 1 ? 0.5 : 1.0) / (steps - 1)),
            };
        }
        return (alphas, weights);
    }

    protected override long ChunkSize => Math.Max(1, MaxBatch / Steps);

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var (alphas, weights) = Quadrature(rule, Steps);
        long n = inputs.size(0);
        var baselineInput = torch.full_like(inputs, baseline);
        var difference = inputs - baselineInput;
        // Path points of all inputs, input-major: row i * steps + k is x'_i + a_k (x_i - x'_i).
        var alpha = torch.tensor(alphas.Select(a => (float)a).ToArray()).view([1, Steps, .. Enumerable.Repeat(1L, (int)inputs.ndim - 1)]);
        var path = (baselineInput.unsqueeze(1) + alpha * difference.unsqueeze(1)).flatten(0, 1);
        var pathTargets = targets.SelectMany(t => Enumerable.Repeat(t, Steps)).ToArray();
        var gradients = TargetGradients(path, pathTargets).view([n, Steps, .. inputs.shape[1..]]);
        var weight = torch.tensor(weights).view([1, Steps, .. Enumerable.Repeat(1L, (int)inputs.ndim - 1)]);
        var integral = (gradients.to(ScalarType.Float64) * weight).sum(1);
        return scope.MoveToOuter((difference.to(ScalarType.Float64) * integral).to(ScalarType.Float32));
    }

    /// <summary>The maps and every input's completeness delta: sum of attributions - (S_c(x) - S_c(x')).</summary>
    public (Tensor maps, double[] deltas) AttributeWithDelta(Tensor inputs, long[]? targets = null, long[]? ids = null)
    {
        var (t, _) = Prepare(inputs, targets, ids);
        var maps = Attribute(inputs, t, ids);
        using var scope = torch.NewDisposeScope();
        var sums = maps.to(ScalarType.Float64).flatten(1).sum(1).data<double>().ToArray();
        var atInput = TargetScores(inputs, t, softmax: false).to(ScalarType.Float64).data<double>().ToArray();
        var atBaseline = TargetScores(torch.full_like(inputs, baseline), t, softmax: false).to(ScalarType.Float64).data<double>().ToArray();
        return (maps, sums.Select((s, i) => s - (atInput[i] - atBaseline[i])).ToArray());
    }
}
