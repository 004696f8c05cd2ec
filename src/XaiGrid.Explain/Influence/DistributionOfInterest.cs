using XaiGrid.Explain.Attribution;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>
/// The distribution of interest P of Leino et al. 2018: the inputs over which influence takes the expectation of
/// the gradient. <see cref="Point"/> and <see cref="LinearPath"/> are built around each explained instance;
/// <see cref="Instances"/> is one fixed set (e.g. a class's training instances) whatever the instance.
/// </summary>
public abstract class DistributionOfInterest
{
    private protected DistributionOfInterest() { }

    /// <summary>A distribution built around each instance x: S weighted points (weights adding up to 1).</summary>
    public abstract class AroundInstance : DistributionOfInterest
    {
        private protected AroundInstance() { }

        /// <summary>The S weights of the expectation.</summary>
        public abstract double[] Weights { get; }

        /// <summary>The S points of every input's distribution, input-major: row i * S + k is point k of input i.</summary>
        public abstract Tensor Points(Tensor inputs);
    }

    /// <summary>The instance itself: influence is the gradient at h(x).</summary>
    public sealed class Point : AroundInstance
    {
        public override double[] Weights => [1.0];

        public override Tensor Points(Tensor inputs) => inputs.alias();
    }

    /// <summary>
    /// The straight line from a constant baseline x' to x, x' + a (x - x') with a on <paramref name="rule"/> over
    /// [0, 1] (the quadrature of <see cref="IntegratedGradients"/>): influence is the path average of the gradient.
    /// </summary>
    public sealed class LinearPath(int steps = 50, RiemannRule rule = RiemannRule.Trapezoid, double baseline = 0) : AroundInstance
    {
        private readonly (double[] alphas, double[] weights) quadrature = IntegratedGradients.Quadrature(rule,
            steps >= (rule == RiemannRule.Trapezoid ? 2 : 1) ? steps
                : throw new ArgumentOutOfRangeException(nameof(steps), steps, "a path needs at least 1 step (2 for trapezoid)"));

        public int Steps => quadrature.alphas.Length;

        public RiemannRule Rule => rule;

        public double Baseline => baseline;

        public override double[] Weights => (double[])quadrature.weights.Clone();

        public override Tensor Points(Tensor inputs)
        {
            using var scope = torch.NewDisposeScope();
            var start = torch.full_like(inputs, baseline);
            var difference = inputs - start;
            var alpha = torch.tensor(quadrature.alphas.Select(a => (float)a).ToArray())
                .view([1, Steps, .. Enumerable.Repeat(1L, (int)inputs.ndim - 1)]).to(inputs.dtype);
            var path = (start.unsqueeze(1) + alpha * difference.unsqueeze(1)).flatten(0, 1);
            return scope.MoveToOuter(path);
        }
    }

    /// <summary>
    /// A fixed set of instances (N, ...), each with weight 1/N, e.g. all training instances of a class. The set is
    /// borrowed: the caller keeps and disposes it.
    /// </summary>
    public sealed class Instances : DistributionOfInterest
    {
        public Instances(Tensor set)
        {
            if (set.ndim < 2 || set.size(0) == 0)
                throw new ArgumentException($"a set of instances is (N, ...) with N >= 1, got shape [{string.Join(", ", set.shape)}]", nameof(set));
            Set = set;
        }

        public Tensor Set { get; }

        public long Count => Set.size(0);
    }
}
