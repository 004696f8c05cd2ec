using System.Text.Json;
using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Evaluation;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Mode = XaiGrid.Explain.Evaluation.InsertionDeletionMode;

namespace XaiGrid.Explain.Tests;

public class InsertionDeletionTests
{
    // p_1 = sigmoid(w . x + b) on 4 features; the map orders them 1, 3, 0, 2.
    private static readonly float[] W = [0.4f, -0.3f, 1.2f, 0.25f];
    private const float B = -0.1f;
    private static readonly double[] X = [1, -2, 0.5, 3];
    private static readonly double[] Map = [0.2, 0.9, -0.5, 0.4];

    private static InsertionDeletionResult Run(Mode mode, int steps, double baseline = 0)
    {
        using var model = Logistic.Create([1, 4], W, B);
        using var x = torch.tensor(X, [1, 1, 4]).to(ScalarType.Float32);
        using var map = torch.tensor(Map, [1, 4]);
        return new InsertionDeletion(model, mode, steps) { Baseline = baseline }.Evaluate(x, map, [1]);
    }

    private static double[] Curve(params double[][] states) => states.Select(s => Logistic.P1(W, B, s)).ToArray();

    private static void AssertCurve(double[] expected, InsertionDeletionResult result)
    {
        var item = Assert.Single(result.Items);
        Assert.Equal(1, item.Target);
        Assert.Equal(expected.Length, item.Curve.Length);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], item.Curve[k], 1e-6);
        Assert.Equal(item.Curve, result.Curve);
        Assert.Equal(item.Auc, result.Auc);
    }

    [Fact]
    public void DeletionInFourStepsRemovesOneFeatureAtATimeInMapOrder()
    {
        var c = Curve([1, -2, 0.5, 3], [1, 0, 0.5, 3], [1, 0, 0.5, 0], [0, 0, 0.5, 0], [0, 0, 0, 0]);
        var result = Run(Mode.Deletion, 4);
        AssertCurve(c, result);
        Assert.Equal((c[0] / 2 + c[1] + c[2] + c[3] + c[4] / 2) / 4, result.Auc, 1e-6);
    }

    [Fact]
    public void InsertionInFourStepsAddsOneFeatureAtATimeToTheBaseline()
    {
        var c = Curve([0, 0, 0, 0], [0, -2, 0, 0], [0, -2, 0, 3], [1, -2, 0, 3], [1, -2, 0.5, 3]);
        var result = Run(Mode.Insertion, 4);
        AssertCurve(c, result);
        Assert.Equal((c[0] / 2 + c[1] + c[2] + c[3] + c[4] / 2) / 4, result.Auc, 1e-6);
    }

    /// <summary>3 steps over 4 features change floor(4k / 3) = 0, 1, 2, 4 of them.</summary>
    [Fact]
    public void UnevenStepsChangeFloorOfKNOverStepsFeatures()
    {
        var c = Curve([1, -2, 0.5, 3], [1, 0, 0.5, 3], [1, 0, 0.5, 0], [0, 0, 0, 0]);
        var result = Run(Mode.Deletion, 3);
        AssertCurve(c, result);
        Assert.Equal((c[0] / 2 + c[1] + c[2] + c[3] / 2) / 3, result.Auc, 1e-6);
    }

    [Fact]
    public void DeletionSetsFeaturesToAConstantBaseline()
    {
        var c = Curve([1, -2, 0.5, 3], [1, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]);
        var result = Run(Mode.Deletion, 2, baseline: 0.5);
        AssertCurve(c, result);
        Assert.Equal((c[0] / 2 + c[1] + c[2] / 2) / 2, result.Auc, 1e-6);
    }

    [Fact]
    public void AucIsTheTrapezoidRuleOverTheUnitInterval()
    {
        Assert.Equal(0.5625, InsertionDeletion.Auc([1, 0.5, 0.25]), 1e-15);
        Assert.Equal(0.5, InsertionDeletion.Auc([0.2, 0.8]), 1e-15);
        Assert.Equal(0.25, InsertionDeletion.Auc([0, 0, 0, 1, 0]), 1e-15);
    }

    /// <summary>A map without channels ranks positions (1, 2, 0 here); inserting a position brings both channels.</summary>
    [Fact]
    public void AChannelLessMapInsertsWholePositions()
    {
        float[] w = [0.3f, -0.5f, 0.8f, 0.2f, 0.6f, -0.4f];
        using var model = Logistic.Create([2, 3], w, 0.1f);
        using var x = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 2, 3]);
        using var map = torch.tensor(new[] { 0.1, 0.7, 0.3 }, [1, 3]);
        var item = Assert.Single(new InsertionDeletion(model, Mode.Insertion, 3).Evaluate(x, map, [1]).Items);
        double[][] states = [[0, 0, 0, 0, 0, 0], [0, 2, 0, 0, 5, 0], [0, 2, 3, 0, 5, 6], [1, 2, 3, 4, 5, 6]];
        for (int k = 0; k < 4; k++) Assert.Equal(Logistic.P1(w, 0.1f, states[k]), item.Curve[k], 1e-6);
    }

    /// <summary>
    /// On p_1 = sigmoid(w . x + b), deleting features in decreasing w_i x_i (gradient x input) lowers the logit as fast
    /// as any order can, so its deletion AUC is below the reversed map's for every input, and its insertion AUC above.
    /// </summary>
    [Fact]
    public void GradientTimesInputBeatsItsReverseOnALinearModel()
    {
        using var generator = new torch.Generator(12);
        using var weights = torch.randn([40], generator: generator);
        var w = weights.data<float>().ToArray();
        using var model = Logistic.Create([1, 40], w, 0.5f);
        using var x = torch.randn([24, 1, 40], generator: generator);
        var targets = Enumerable.Repeat(1L, 24).ToArray();
        using var map = new GradientXInput(model).Attribute(x, targets);
        using var reversed = -map;
        foreach (var mode in new[] { Mode.Deletion, Mode.Insertion })
        {
            var metric = new InsertionDeletion(model, mode, 20);
            var good = metric.Evaluate(x, map, targets);
            var bad = metric.Evaluate(x, reversed, targets);
            for (int i = 0; i < 24; i++)
            {
                if (mode == Mode.Deletion) Assert.True(good.Items[i].Auc < bad.Items[i].Auc, $"input {i}: deletion AUC {good.Items[i].Auc} vs reversed {bad.Items[i].Auc}");
                else Assert.True(good.Items[i].Auc > bad.Items[i].Auc, $"input {i}: insertion AUC {good.Items[i].Auc} vs reversed {bad.Items[i].Auc}");
            }
        }
    }

    /// <summary>The same on mnist1d-logistic (10 classes, so only on average) over MNIST-1D test inputs, targets predicted.</summary>
    [Fact]
    public void GradientTimesInputHasTheLowerMeanDeletionAucOnMnist1DLogistic()
    {
        using var generator = new torch.Generator(14);
        using var model = new Mnist1DLogistic(generator: generator);
        using var data = XaiGrid.Data.DataSpec.Load("mnist1d");
        using var x = data.Test.Inputs.narrow(0, 0, 200);
        using var map = new GradientXInput(model).Attribute(x);
        using var reversed = -map;
        var metric = new InsertionDeletion(model, Mode.Deletion, 40) { MaxBatch = 256 };
        double good = metric.Evaluate(x, map).Auc, bad = metric.Evaluate(x, reversed).Auc;
        Assert.True(good < bad, $"deletion AUC {good} vs reversed {bad}");
    }

    [Fact]
    public void BatchesDoNotChangeTheItems()
    {
        using var generator = new torch.Generator(31);
        using var model = new Mnist1DCnn(generator: generator);
        using var x = torch.randn([9, 1, 40], generator: generator);
        using var maps = new Gradient(model).Attribute(x);
        var results = new[] { 1, 7, 1000 }.Select(b => new InsertionDeletion(model, Mode.Deletion, 10) { MaxBatch = b }.Evaluate(x, maps)).ToArray();
        foreach (var r in results[1..])
        {
            Assert.Equal(results[0].Items.Select(i => i.Target), r.Items.Select(i => i.Target));
            for (int i = 0; i < 9; i++)
            for (int k = 0; k <= 10; k++)
                Assert.Equal(results[0].Items[i].Curve[k], r.Items[i].Curve[k], 1e-6);
        }
    }

    [Fact]
    public void GaussianBlurOfAnImpulseIsTheNormalizedKernelAndKeepsConstants()
    {
        var taps = Enumerable.Range(-3, 7).Select(i => Math.Exp(-i * i / 2.0)).ToArray();
        double total = taps.Sum();
        using var impulse = torch.zeros([1, 2, 21]);
        impulse[0][0][10].fill_(1);
        using var blurred = InsertionDeletion.GaussianBlur(impulse, 1);
        var values = blurred.data<float>().ToArray();
        for (int j = 0; j < 21; j++)
        {
            Assert.Equal(Math.Abs(j - 10) <= 3 ? taps[j - 7] / total : 0, values[j], 1e-6);
            Assert.Equal(0, values[21 + j]);
        }

        // Two dimensions: separable, so the impulse response is the outer product of the 1-D taps.
        using var impulse2 = torch.zeros([1, 1, 9, 9]);
        impulse2[0][0][4][4].fill_(1);
        using var blurred2 = InsertionDeletion.GaussianBlur(impulse2, 1);
        var values2 = blurred2.data<float>().ToArray();
        for (int r = 0; r < 9; r++)
        for (int c = 0; c < 9; c++)
        {
            double tr = Math.Abs(r - 4) <= 3 ? taps[r - 1] / total : 0, tc = Math.Abs(c - 4) <= 3 ? taps[c - 1] / total : 0;
            Assert.Equal(tr * tc, values2[r * 9 + c], 1e-6);
        }

        // Edge values repeat, so a constant stays constant up to the borders.
        using var constant = torch.full([2, 3, 6, 5], 0.7);
        using var blurredConstant = InsertionDeletion.GaussianBlur(constant, 2.5);
        Assert.All(blurredConstant.data<float>().ToArray(), v => Assert.Equal(0.7, v, 1e-6));
    }

    [Fact]
    public void DeletingTowardsABlurOfAConstantInputChangesNothing()
    {
        using var model = Logistic.Create([1, 4], W, B);
        using var x = torch.full([1, 1, 4], 0.3);
        using var map = torch.tensor(Map, [1, 4]);
        var item = Assert.Single(new InsertionDeletion(model, Mode.Deletion, 4) { BlurSigma = 1 }.Evaluate(x, map, [1]).Items);
        double p = Logistic.P1(W, B, [0.3, 0.3, 0.3, 0.3]);
        Assert.All(item.Curve, v => Assert.Equal(p, v, 1e-6));
        Assert.Equal(p, item.Auc, 1e-6);
    }

    [Fact]
    public void SerializesWithSnakeCaseNamesAndReadsBack()
    {
        var result = Run(Mode.Deletion, 2);
        using var document = JsonDocument.Parse(result.ToJson());
        var root = document.RootElement;
        Assert.Equal(["mode", "steps", "auc", "curve", "count", "items"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("deletion", root.GetProperty("mode").GetString());
        Assert.Equal(["target", "auc", "curve"], root.GetProperty("items")[0].EnumerateObject().Select(p => p.Name));
        var back = InsertionDeletionResult.FromJson(result.ToJson());
        Assert.Equal((result.Mode, result.Steps, result.Auc, result.Count), (back.Mode, back.Steps, back.Auc, back.Count));
        Assert.Equal(result.Curve, back.Curve);
        Assert.Equal(result.Items[0].Curve, back.Items[0].Curve);
    }
}
