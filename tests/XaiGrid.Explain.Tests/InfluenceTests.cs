using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Influence;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

/// <summary>A 10-class linear model whose first layer, "flatten", outputs the input itself (flattened): logits = W x + b.</summary>
internal sealed class FlattenLinear : Classifier
{
    private readonly Flatten flatten = torch.nn.Flatten();

    public FlattenLinear(torch.Generator generator) : base("flatten-linear-test", [1, 40], 10)
    {
        Linear = Init.reset_parameters(torch.nn.Linear(40, 10), generator);
        register_module("flatten", flatten);
        register_module("linear", Linear);
    }

    public Linear Linear { get; }

    public override Tensor forward(Tensor input)
    {
        using var flat = flatten.call(input);
        return Linear.call(flat);
    }
}

public class InfluenceTests(TrainedMnist1DCnn trained, ITestOutputHelper output) : IClassFixture<TrainedMnist1DCnn>
{
    /// <summary>
    /// dq/dz by hand, the way one would write it in PyTorch: a hook keeps the layer's output z (a non-leaf of the graph),
    /// then autograd.grad(sum_r sum_k w[r, k] S_k, z).
    /// </summary>
    private static Tensor HandGradient(Classifier model, string layer, Tensor x, float[,] weights)
    {
        Tensor? z = null;
        using (TestHooks.Forward(model.Layer(layer), (_, _, o) => { z = o.alias().DetachFromDisposeScope(); return null; }))
        using (var scope = torch.NewDisposeScope())
        {
            var logits = model.call(x);
            var q = (logits * torch.tensor(weights)).sum();
            var g = torch.autograd.grad([q], [z!])[0]!;
            z!.Dispose();
            return scope.MoveToOuter(g).DetachFromDisposeScope();
        }
    }

    private static float[,] Rows(int n, int numClasses, Func<int, int, float> weight)
    {
        var w = new float[n, numClasses];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < numClasses; k++)
                w[i, k] = weight(i, k);
        return w;
    }

    private static Tensor HandActivations(Classifier model, string layer, Tensor x)
    {
        Tensor? z = null;
        using (torch.no_grad())
        using (TestHooks.Forward(model.Layer(layer), (_, _, o) => { z = o.alias().DetachFromDisposeScope(); return null; }))
        using (model.call(x)) { }
        return z!;
    }

    [Fact]
    public void PointInfluenceAtTheInputOfALinearModelIsItsWeightRow()
    {
        using var generator = new torch.Generator(21);
        using var model = new FlattenLinear(generator);
        using var x = torch.randn([5, 1, 40], generator: generator);
        var weight = TestData.Values(model.Linear.weight);
        double[] Row(int c) => weight[(c * 40)..((c + 1) * 40)];

        using var byClass = new InternalInfluence(model, "flatten", quantity: new QuantityOfInterest.Class(3)).Attribute(x);
        using var byComparison = new InternalInfluence(model, "flatten", quantity: new QuantityOfInterest.Comparison(3, 7)).Attribute(x);
        using var byTargets = new InternalInfluence(model, "flatten").Attribute(x, [0, 1, 2, 3, 9]);
        Assert.Equal(new long[] { 5, 40 }, byClass.shape);
        double[] cls = TestData.Values(byClass), cmp = TestData.Values(byComparison), tgt = TestData.Values(byTargets);
        long[] targets = [0, 1, 2, 3, 9];
        for (int i = 0; i < 5; i++)
        for (int j = 0; j < 40; j++)
        {
            Assert.Equal(Row(3)[j], cls[i * 40 + j], 1e-6);
            Assert.Equal(Row(3)[j] - Row(7)[j], cmp[i * 40 + j], 1e-6);
            Assert.Equal(Row((int)targets[i])[j], tgt[i * 40 + j], 1e-6);
        }

        // Times activation: the activation at the input layer is the input itself, so the map is x * W_3.
        using var attribution = new InternalInfluence(model, "flatten", quantity: new QuantityOfInterest.Class(3), timesActivation: true).Attribute(x);
        var xs = TestData.Values(x);
        var att = TestData.Values(attribution);
        for (int i = 0; i < 5 * 40; i++) Assert.Equal(xs[i] * Row(3)[i % 40], att[i], 1e-6);
    }

    [Fact]
    public void QuantitiesOfInterestWeightTheLogits()
    {
        using var logits = torch.tensor(new float[] { 1, 2, 3, -1, 5, 4 }, [2, 3]);
        using var cls = new QuantityOfInterest.Class(2).Apply(logits);
        using var cmp = new QuantityOfInterest.Comparison(0, 2).Apply(logits);
        using var lin = new QuantityOfInterest.LinearCombination([0.5, -1, 2]).Apply(logits);
        Assert.Equal(new[] { 3.0, 4.0 }, TestData.Values(cls));
        Assert.Equal(new[] { 1.0 - 3, -1.0 - 4 }, TestData.Values(cmp));
        Assert.Equal(new[] { 0.5 - 2 + 6, -0.5 - 5 + 8 }, TestData.Values(lin));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuantityOfInterest.Class(3).Weights(3));
        Assert.Throws<ArgumentException>(() => new QuantityOfInterest.Comparison(1, 1).Weights(3));
        Assert.Throws<ArgumentException>(() => new QuantityOfInterest.LinearCombination([1, 2]).Weights(3));
    }

    [Theory]
    [InlineData("mnist1d-cnn", "conv2", new long[] { 7, 1, 40 })]
    [InlineData("vgg7", "features.7", new long[] { 3, 3, 12, 12 })]
    public void PointInfluenceEqualsAutogradByHand(string arch, string layer, long[] shape)
    {
        using var generator = new torch.Generator(8);
        using var model = ModelZoo.Create(arch, generator: generator);
        model.eval();
        using var x = torch.randn(shape, generator: generator);
        int n = (int)shape[0], k = model.NumClasses;

        // Class, comparison and per-input targets, against the same hand computation with the matching weights.
        long[] targets = Enumerable.Range(0, n).Select(i => (long)(i * 3 % k)).ToArray();
        var cases = new (QuantityOfInterest? quantity, float[,] weights)[]
        {
            (new QuantityOfInterest.Class(1), Rows(n, k, (_, c) => c == 1 ? 1 : 0)),
            (new QuantityOfInterest.Comparison(2, 0), Rows(n, k, (_, c) => c == 2 ? 1 : c == 0 ? -1 : 0)),
            (null, Rows(n, k, (i, c) => c == targets[i] ? 1 : 0)),
        };
        foreach (var (quantity, weights) in cases)
        {
            using var expected = HandGradient(model, layer, x, weights);
            using var actual = new InternalInfluence(model, layer, quantity: quantity) { MaxBatch = 2 }.Attribute(x, targets);
            double worst = TestData.AssertClose(expected, actual, 1e-6, $"{arch} {layer} {quantity?.ToString() ?? "targets"}");
            output.WriteLine($"{arch} {layer} {quantity?.ToString() ?? "targets"}: shape [{string.Join(", ", actual.shape)}], worst relative {worst:E2}");
        }

        // Times activation: h(x) * dq/dz.
        using var z = HandActivations(model, layer, x);
        using var g = HandGradient(model, layer, x, cases[0].weights);
        using var product = z * g;
        using var attribution = new InternalInfluence(model, layer, quantity: cases[0].quantity, timesActivation: true).Attribute(x);
        TestData.AssertClose(product, attribution, 1e-6, $"{arch} {layer} times activation");
    }

    [Fact]
    public void PathInfluenceIsTheTrapezoidAverageOfHandGradients()
    {
        using var generator = new torch.Generator(9);
        using var model = new Mnist1DCnn(generator: generator);
        model.eval();
        using var x = torch.randn([3, 1, 40], generator: generator);
        const int steps = 8;
        const double baseline = 0.25;
        var path = new DistributionOfInterest.LinearPath(steps, RiemannRule.Trapezoid, baseline);
        using var actual = new InternalInfluence(model, "conv2", path, new QuantityOfInterest.Class(4)) { MaxBatch = 5 }.Attribute(x);

        // The average by hand: a_k = k / (steps - 1), weights 1/(steps-1) inside and half that at both ends.
        using var scope = torch.NewDisposeScope();
        var sum = torch.zeros(actual.shape, ScalarType.Float64);
        for (int k = 0; k < steps; k++)
        {
            double a = k / (double)(steps - 1), w = (k == 0 || k == steps - 1 ? 0.5 : 1.0) / (steps - 1);
            var point = (x - baseline) * a + baseline;
            var g = HandGradient(model, "conv2", point, Rows(3, 10, (_, c) => c == 4 ? 1 : 0));
            scope.Attach(g);
            sum = sum + g.to(ScalarType.Float64) * w;
        }
        output.WriteLine($"path: worst relative {TestData.AssertClose(sum, actual, 1e-5, "linear path"):E2}");
    }

    [Fact]
    public void SetInfluenceIsTheMeanOverTheSetForEveryInput()
    {
        using var generator = new torch.Generator(10);
        using var model = new Mnist1DCnn(generator: generator);
        model.eval();
        using var set = torch.randn([9, 1, 40], generator: generator);
        using var x = torch.randn([2, 1, 40], generator: generator);
        var quantity = new QuantityOfInterest.Class(6);
        using var actual = new InternalInfluence(model, "conv3", new DistributionOfInterest.Instances(set), quantity) { MaxBatch = 4 }.Attribute(x);
        using var hand = HandGradient(model, "conv3", set, Rows(9, 10, (_, c) => c == 6 ? 1 : 0));
        using var mean = hand.mean([0]);
        using var expected = torch.stack([mean, mean]);
        TestData.AssertClose(expected, actual, 1e-6, "set of instances");
    }

    [Fact]
    public void ClassWidePartialsMergeToTheOneShotInfluenceForAnySplit()
    {
        const int cls = 3;
        var labels = trained.Data.Train.LabelArray();
        var indices = Enumerable.Range(0, labels.Length).Where(i => labels[i] == cls).Select(i => (long)i).ToArray();
        using var subset = trained.Data.Train.Subset(indices);
        var influence = new InternalInfluence(trained.Model, "conv2", new DistributionOfInterest.Instances(subset.Inputs),
            new QuantityOfInterest.Class(cls)) { MaxBatch = 37 };
        long n = indices.Length;
        var oneShot = influence.AttributePartial(cls, 0, n);
        Assert.Equal(n, oneShot.Count);
        double scale = oneShot.Sum.Max(Math.Abs);

        var random = new Random(17);
        double worst = 0;
        for (int parts = 1; parts <= 8; parts++)
        for (int trial = 0; trial < 2; trial++)
        {
            var cuts = Enumerable.Range(1, (int)n - 1).OrderBy(_ => random.Next()).Take(parts - 1).Select(c => (long)c).Order().ToList();
            var bounds = new List<long> { 0 };
            bounds.AddRange(cuts);
            bounds.Add(n);
            // Partials arrive in any order; Merge puts them in range order.
            var partials = Enumerable.Range(0, parts).Select(p => influence.AttributePartial(cls, bounds[p], bounds[p + 1])).Reverse().ToList();
            var merged = Partial.Merge(partials);
            Assert.Equal(n, merged.Count);
            for (int i = 0; i < merged.Sum.Length; i++)
            {
                double r = Math.Abs(merged.Sum[i] - oneShot.Sum[i]) / scale;
                worst = Math.Max(worst, r);
                Assert.True(r <= 1e-9, $"{parts} parts: element {i} {merged.Sum[i]:R} vs {oneShot.Sum[i]:R}");
            }
        }
        output.WriteLine($"class {cls}: {n} instances, worst relative difference of merged sums {worst:E2}");

        // The class-wide influence is the mean of the instances' point influences.
        using var chi = InternalInfluence.Finish(oneShot);
        using var points = new InternalInfluence(trained.Model, "conv2", quantity: new QuantityOfInterest.Class(cls)).Attribute(subset.Inputs);
        using var mean = points.mean([0]);
        using var a = chi.unsqueeze(0);
        using var b = mean.unsqueeze(0);
        TestData.AssertClose(b, a, 1e-5, "class-wide vs mean of points");
        var top = InternalInfluence.TopChannels(oneShot, 5);
        var scores = ChannelScores.Of(chi);
        output.WriteLine($"top channels of class {cls} at conv2: {string.Join(", ", top.Select(j => $"{j} ({scores[j]:F3})"))}");
        Assert.Equal(Enumerable.Range(0, 25).OrderByDescending(j => scores[j]).Take(5).Select(j => (long)j), top);
    }

    [Fact]
    public void TopChannelsOfAnInstanceFollowItsChannelScores()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 1);
        var influence = new InternalInfluence(trained.Model, "conv2", quantity: new QuantityOfInterest.Class(2));
        using var map = HandGradient(trained.Model, "conv2", x, Rows(1, 10, (_, c) => c == 2 ? 1 : 0));
        var values = TestData.Values(map);
        foreach (var reduction in new[] { ChannelReduction.Max, ChannelReduction.Mean })
        {
            var scores = Enumerable.Range(0, 25).Select(j => values[(j * 10)..((j + 1) * 10)])
                .Select(ch => reduction == ChannelReduction.Max ? ch.Max() : ch.Average()).ToArray();
            var expected = Enumerable.Range(0, 25).OrderByDescending(j => scores[j]).Take(4).Select(j => (long)j).ToArray();
            Assert.Equal(expected, influence.TopChannels(x, 4, reduction: reduction));
        }
    }

    [Fact]
    public void ChannelVisualizationIsComplete()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 6);
        var visualization = new ChannelVisualization(trained.Model, "conv2", steps: 50) { MaxBatch = 64 };
        using var z = HandActivations(trained.Model, "conv2", x);
        using var zero = torch.zeros_like(x);
        using var z0 = HandActivations(trained.Model, "conv2", zero);
        using var a = z.sum(2);
        using var a0 = z0.sum(2);
        using var change = a - a0;
        var changes = TestData.Values(change);
        for (int i = 0; i < 6; i++)
        {
            // The channel whose activation moves most from the baseline, so the relative error is meaningful.
            int channel = Enumerable.Range(0, 25).MaxBy(j => Math.Abs(changes[i * 25 + j]));
            using var one = x.narrow(0, i, 1);
            var (maps, deltas) = visualization.AttributeWithDelta(one, channel);
            using (maps)
            {
                Assert.Equal(one.shape, maps.shape);
                double sum = TestData.Values(maps).Sum(), expected = changes[i * 25 + channel];
                double relative = Math.Abs(sum - expected) / Math.Abs(expected);
                output.WriteLine($"input {i}, channel {channel}: sum {sum:F5}, a(x) - a(x') {expected:F5}, relative {relative:E2}, delta {deltas[0]:E2}");
                Assert.True(relative < 0.01, $"input {i}, channel {channel}: completeness off by {relative:P3}");
                Assert.Equal(sum - expected, deltas[0], 4);
            }
        }
    }

    [Fact]
    public void ChannelVisualizationIsIntegratedGradientsOfTheChannelActivation()
    {
        using var generator = new torch.Generator(12);
        using var model = new Mnist1DCnn(generator: generator);
        model.eval();
        using var x = torch.randn([2, 1, 40], generator: generator);
        const int steps = 6, channel = 11;
        using var maps = new ChannelVisualization(model, "conv2", steps, RiemannRule.Middle) { MaxBatch = 5 }.Attribute(x, channel);

        // By hand: midpoints a_k = (k + 1/2) / steps, each weighing 1/steps; d a_j / dx via a hook and autograd.
        using var scope = torch.NewDisposeScope();
        var sum = torch.zeros(x.shape, ScalarType.Float64);
        for (int k = 0; k < steps; k++)
        {
            var point = (x * ((k + 0.5) / steps)).detach().requires_grad_();
            Tensor? z = null;
            using (TestHooks.Forward(model.Layer("conv2"), (_, _, o) => { z = o.alias().DetachFromDisposeScope(); return null; }))
                model.call(point);
            scope.Attach(z!);
            var g = torch.autograd.grad([z!.select(1, channel).sum()], [point])[0]!;
            sum = sum + g.to(ScalarType.Float64) / steps;
        }
        var expected = sum * x.to(ScalarType.Float64);
        TestData.AssertClose(expected, maps, 1e-5, "channel visualization");
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelVisualization(model, "conv2").Attribute(x, 25));
    }

    [Fact]
    public void InfluenceAgreesWithPyTorch()
    {
        using var folder = new TempDir();
        var model = trained.Model;
        Trainer.SaveWeights(folder.File("w.safetensors"), model);
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 12);
        Npy.save(folder.File("x.npy"), x);
        const int cls = 7;
        PythonReference.Run("""
            folder, c = sys.argv[1], int(sys.argv[2])
            model = build('mnist1d-cnn', f'{folder}/w.safetensors')
            x = torch.from_numpy(np.load(f'{folder}/x.npy'))
            kept = {}
            model.conv2.register_forward_hook(lambda m, i, o: kept.__setitem__('z', o))
            q = model(x)[:, c].sum()
            g, = torch.autograd.grad(q, kept['z'])
            np.save(f'{folder}/influence.npy', g.numpy())
            np.save(f'{folder}/max.npy', g.amax(2).numpy())
            np.save(f'{folder}/mean.npy', g.mean(2).numpy())
            """, folder.Path, cls.ToString());

        var influence = new InternalInfluence(model, "conv2", new DistributionOfInterest.Point(), new QuantityOfInterest.Class(cls));
        using var actual = influence.Attribute(x);
        using var expected = Npy.load(folder.File("influence.npy"));
        double worst = TestData.AssertClose(expected, actual, 1e-4, "influence vs PyTorch");
        foreach (var (file, reduction) in new[] { ("max.npy", ChannelReduction.Max), ("mean.npy", ChannelReduction.Mean) })
        {
            using var scores = ChannelScores.Reduce(actual, reduction);
            using var reference = Npy.load(folder.File(file));
            worst = Math.Max(worst, TestData.AssertClose(reference, scores, 1e-4, $"channel scores ({reduction}) vs PyTorch"));
        }
        output.WriteLine($"influence at conv2 vs python3-torch: worst relative difference {worst:E2}");
    }
}
