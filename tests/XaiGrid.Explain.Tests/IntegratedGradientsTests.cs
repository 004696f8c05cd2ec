using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

public class IntegratedGradientsTests(PyTorchAttributions reference, TrainedMnist1DCnn trained, ITestOutputHelper output)
    : IClassFixture<PyTorchAttributions>, IClassFixture<TrainedMnist1DCnn>
{
    [Fact]
    public void CompletenessHoldsOnMnist1DCnn()
    {
        using var generator = new torch.Generator(3);
        using var model = new Mnist1DCnn(generator: generator);
        using var x = torch.randn([6, 1, 40], generator: generator);
        var ig = new IntegratedGradients(model, steps: 200);
        var (maps, deltas) = ig.AttributeWithDelta(x);
        using (maps)
        {
            Assert.Equal(new long[] { 6, 1, 40 }, maps.shape);
            foreach (var d in deltas) Assert.True(Math.Abs(d) < 1e-2, $"delta {d}");
        }
    }

    /// <summary>
    /// Integrated Gradients at 50 trapezoid steps (the predicted classes as targets) and, per input, the completeness
    /// delta sum(a) - (S_c(x) - S_c(x')) with both scores computed here from the logits, the difference itself, and the
    /// attribution mass sum |a|; the deltas AttributeWithDelta reports must equal these. Returns sum |delta| / sum |a|
    /// over the inputs.
    /// <para>
    /// The mass, not the difference, is the scale: the network is piecewise linear, so the integrand jumps at every ReLU
    /// kink the path crosses and the quadrature error grows with the attributions that cancel in the sum. A randomly
    /// initialized network moves its logits by about 1e-2 between x and x' while its attributions add up to about
    /// 0.1 in absolute value, so there a delta of 1e-4 is 10% of the difference.
    /// </para>
    /// </summary>
    private double CompletenessAt50TrapezoidSteps(string label, Classifier model, Tensor x, double baseline = 0)
    {
        var ig = new IntegratedGradients(model, steps: 50, baseline: baseline);
        var targets = ig.Predict(x);
        using var scope = torch.NewDisposeScope();
        var maps = ig.Attribute(x, targets).to(ScalarType.Float64);
        var sums = maps.flatten(1).sum(1).data<double>().ToArray();
        var mass = maps.abs().flatten(1).sum(1).data<double>().ToArray();
        var atInput = model.Logits(x).to(ScalarType.Float64).data<double>().ToArray();
        var atBaseline = model.Logits(torch.full_like(x, baseline)).to(ScalarType.Float64).data<double>().ToArray();
        int k = model.NumClasses;
        var difference = targets.Select((c, i) => atInput[i * k + c] - atBaseline[i * k + c]).ToArray();
        var delta = sums.Zip(difference, (s, d) => s - d).ToArray();
        // The discarded maps belong to the dispose scope above.
        var (_, reported) = ig.AttributeWithDelta(x, targets);
        for (int i = 0; i < delta.Length; i++) Assert.Equal(delta[i], reported[i], 1e-6);
        output.WriteLine($"{label}: delta, |delta| / |S_c(x) - S_c(x')|, |delta| / sum |a| per input:");
        for (int i = 0; i < delta.Length; i++)
            output.WriteLine($"  {delta[i],10:E2} {Math.Abs(delta[i] / difference[i]),9:P2} {Math.Abs(delta[i]) / mass[i],8:P3}");
        double overDifference = delta.Sum(Math.Abs) / difference.Sum(Math.Abs), overMass = delta.Sum(Math.Abs) / mass.Sum();
        output.WriteLine($"{label}: sum |delta| / sum |S_c(x) - S_c(x')| = {overDifference:P3}, sum |delta| / sum |a| = {overMass:P3}");
        return overMass;
    }

    [Theory]
    [InlineData("mnist1d-cnn", new long[] { 8, 1, 40 })]
    [InlineData("vgg7", new long[] { 4, 3, 16, 16 })]
    public void CompletenessWithin1PercentOfTheMassAt50TrapezoidStepsOnRandomWeights(string arch, long[] shape)
    {
        using var generator = new torch.Generator(13);
        using var model = ModelZoo.Create(arch, generator: generator);
        using var x = torch.randn(shape, generator: generator);
        double error = CompletenessAt50TrapezoidSteps(arch, model, x);
        Assert.True(error < 0.01, $"{arch}: completeness off by {error:P3} of the attribution mass");
    }

    [Fact]
    public void CompletenessWithin1PercentOfTheMassAt50TrapezoidStepsOnTrainedMnist1DCnn()
    {
        output.WriteLine($"trained mnist1d-cnn: test accuracy {trained.Result.BestTestAccuracy:P1}");
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 16);
        double error = CompletenessAt50TrapezoidSteps("trained mnist1d-cnn", trained.Model, x);
        Assert.True(error < 0.01, $"completeness off by {error:P3} of the attribution mass");
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(0.75)]
    public void ANonZeroBaselineShiftsTheCompletenessReference(double baseline)
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 16, 8);
        double error = CompletenessAt50TrapezoidSteps($"trained mnist1d-cnn, baseline {baseline}", trained.Model, x, baseline);
        Assert.True(error < 0.01, $"baseline {baseline}: completeness off by {error:P3} of the attribution mass");
    }

    /// <summary>A linear model's gradient is constant, so every rule gives exactly (x - x') * w_c, whatever the baseline.</summary>
    [Theory]
    [InlineData(RiemannRule.Left, 0.0)]
    [InlineData(RiemannRule.Right, 0.7)]
    [InlineData(RiemannRule.Middle, -1.3)]
    [InlineData(RiemannRule.Trapezoid, 0.7)]
    public void OnALinearModelIntegratedGradientsIsInputMinusBaselineTimesWeight(RiemannRule rule, double baseline)
    {
        using var generator = new torch.Generator(9);
        using var model = new Mnist1DLogistic(generator: generator);
        using var x = torch.randn([3, 1, 40], generator: generator);
        long[] targets = [4, 0, 4];
        using var maps = new IntegratedGradients(model, steps: 7, rule: rule, baseline: baseline).Attribute(x, targets);
        var w = model.state_dict()["linear.weight"].data<float>().ToArray();
        var inputs = x.data<float>().ToArray();
        var expected = Enumerable.Range(0, 120).Select(e => (inputs[e] - baseline) * w[targets[e / 40] * 40 + e % 40]).ToArray();
        using var expectedMaps = torch.tensor(expected, [3, 1, 40]);
        TestData.AssertClose(expectedMaps, maps, 1e-6, $"{rule}, baseline {baseline}");
    }

    /// <summary>Captum's approximation_parameters for n = 4 (riemann_left, _right, _middle, _trapezoid).</summary>
    public static TheoryData<RiemannRule, double[], double[]> CaptumRules => new()
    {
        { RiemannRule.Left, [0, 0.25, 0.5, 0.75], [0.25, 0.25, 0.25, 0.25] },
        { RiemannRule.Right, [0.25, 0.5, 0.75, 1], [0.25, 0.25, 0.25, 0.25] },
        { RiemannRule.Middle, [0.125, 0.375, 0.625, 0.875], [0.25, 0.25, 0.25, 0.25] },
        { RiemannRule.Trapezoid, [0, 1.0 / 3, 2.0 / 3, 1], [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6] },
    };

    [Theory]
    [MemberData(nameof(CaptumRules))]
    public void QuadratureEqualsCaptums(RiemannRule rule, double[] alphas, double[] weights)
    {
        var (a, w) = IntegratedGradients.Quadrature(rule, 4);
        Assert.Equal(alphas.Length, a.Length);
        Assert.Equal(weights.Length, w.Length);
        for (int k = 0; k < alphas.Length; k++)
        {
            Assert.Equal(alphas[k], a[k], 1e-15);
            Assert.Equal(weights[k], w[k], 1e-15);
        }
    }

    /// <summary>
    /// Every rule converges to the same integral: against the trapezoid rule at 4096 steps, each rule's maps and its
    /// worst completeness delta shrink from 4 to 32 to 512 steps, where the maps are within 1% of the limit.
    /// </summary>
    [Fact]
    public void AllRiemannRulesConverge()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 24, 6);
        var targets = new Gradient(trained.Model).Predict(x);
        using var limit = new IntegratedGradients(trained.Model, 4096).Attribute(x, targets);
        int[] stepCounts = [4, 32, 512];
        foreach (var rule in Enum.GetValues<RiemannRule>())
        {
            var mapErrors = new List<double>();
            var worstDeltas = new List<double>();
            foreach (var steps in stepCounts)
            {
                var (maps, deltas) = new IntegratedGradients(trained.Model, steps, rule).AttributeWithDelta(x, targets);
                using (maps)
                {
                    var a = TestData.Values(maps);
                    var b = TestData.Values(limit);
                    mapErrors.Add(a.Zip(b, (u, v) => Math.Abs(u - v)).Max() / b.Max(Math.Abs));
                }
                worstDeltas.Add(deltas.Max(Math.Abs));
            }
            output.WriteLine($"{rule}: " + string.Join(", ", stepCounts.Select((s, i) => $"{s} steps: map error {mapErrors[i]:E2}, worst |delta| {worstDeltas[i]:E2}")));
            for (int i = 1; i < stepCounts.Length; i++)
            {
                Assert.True(mapErrors[i] < mapErrors[i - 1], $"{rule}: the maps did not approach the limit from {stepCounts[i - 1]} to {stepCounts[i]} steps");
                Assert.True(worstDeltas[i] < worstDeltas[i - 1], $"{rule}: the delta did not shrink from {stepCounts[i - 1]} to {stepCounts[i]} steps");
            }
            Assert.True(mapErrors[^1] < 1e-2, $"{rule}: at {stepCounts[^1]} steps the maps are {mapErrors[^1]:E2} from the limit");
        }
    }

    [Theory]
    [InlineData("mnist1d-cnn")]
    [InlineData("vgg7")]
    public void IntegratedGradientsMatchesPyTorch(string arch)
    {
        var (model, inputs, targets) = reference[arch];
        using var maps = new IntegratedGradients(model, PyTorchAttributions.IgSteps).Attribute(inputs, targets);
        using var expected = reference.Expected(arch, "ig");
        double error = TestData.AssertClose(expected, maps, 1e-4, $"{arch} IG against PyTorch's");
        output.WriteLine($"{arch}: IG relative error against PyTorch {error:E2}");
    }
}
