using System.Text.Json;
using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Evaluation;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

public class DropIncreaseTests
{
    private static readonly float[] W = [0.5f, -1, 2, 0.3f, -0.7f, 1.5f, -2, 0.8f, 1, -0.4f];
    private const float B = 0.2f;

    /// <summary>
    /// frac 0.3 of N = 10: the threshold is the value at rank int(3.0) = 3 of the descending map. Both maps have ties
    /// at that value (5 in the first, 4 in the second), and only values above it are kept: 2 features, not 3.
    /// </summary>
    [Fact]
    public void KeepsOnlyValuesAboveTheValueAtRankIntNFracSoTiesAtTheThresholdAreZeroed()
    {
        double[] xa = [1, -2, 1, 0.5, -1, 1, -1, 0.5, 2, -1], xb = [0.5, -1, 1, 2, -1, 1, 0.5, 1, -0.5, 1];
        double[] mapA = [5, 3, 3, 9, 1, 0, 3, 2, 7, 5], mapB = [1, 4, 4, 2, 8, 4, 0, 6, 3, 4];
        // Sorted, map A is 9 7 5 5 3 ... (keeps positions 3 and 8); map B is 8 6 4 4 4 4 ... (keeps positions 4 and 7).
        double[] keptA = [0, 0, 0, 0.5, 0, 0, 0, 0, 2, 0], keptB = [0, 0, 0, 0, -1, 0, 0, 1, 0, 0];
        using var model = Logistic.Create([1, 10], W, B);
        using var x = torch.tensor(xa.Concat(xb).ToArray(), [2, 1, 10]).to(ScalarType.Float32);
        using var maps = torch.tensor(mapA.Concat(mapB).ToArray(), [2, 1, 10]);

        var result = new DropIncrease(model, 0.3).Evaluate(x, maps, [1, 0]);

        double ya = Logistic.P1(W, B, xa), oa = Logistic.P1(W, B, keptA);
        double yb = 1 - Logistic.P1(W, B, xb), ob = 1 - Logistic.P1(W, B, keptB);
        Assert.True(oa < ya && ob > yb, "the case should hold one drop and one increase");
        double dropA = (ya - oa) / ya;
        Assert.Equal(2, result.Count);
        AssertItem(result.Items[0], 1, ya, oa, dropA, 0);
        AssertItem(result.Items[1], 0, yb, ob, 0, 1);
        Assert.Equal(dropA / 2 * 100, result.DropPct, 1e-4);
        Assert.Equal(50, result.IncreasePct, 1e-12);
    }

    private static void AssertItem(DropIncreaseItem item, long target, double y, double o, double drop, int increase)
    {
        Assert.Equal(target, item.Target);
        // p_c from float32 logits: about 1e-7 relative.
        Assert.Equal(y, item.Y, 1e-6);
        Assert.Equal(o, item.O, 1e-6);
        Assert.Equal(drop, item.Drop, 1e-5);
        Assert.Equal(increase, item.Increase);
    }

    /// <summary>
    /// Inputs of 3 channels x 4 positions. A one-channel map (1, 4), or a channel-less (4), ranks the 4 positions:
    /// frac 0.5 keeps the values above rank int(2) = 2, positions 1 and 2, each with all 3 channels. The same map
    /// repeated on every channel (3, 4) ranks 12 elements and keeps the same 6.
    /// </summary>
    [Fact]
    public void AOneChannelMapRanksPositionsAndKeepsEveryChannelThere()
    {
        float[] w = [0.3f, -0.2f, 0.5f, 1, -0.6f, 0.4f, 0.9f, -1, 0.2f, 0.7f, -0.3f, 0.1f];
        const float b = -0.1f;
        double[] xs = [1, 2, -1, 0.5, -2, 1, 1.5, 3, 0.5, -1, 2, 1];
        double[] position = [0.1, 0.9, 0.5, 0.2];
        double[] kept = [0, 2, -1, 0, 0, 1, 1.5, 0, 0, -1, 2, 0];
        using var model = Logistic.Create([3, 4], w, b);
        using var x = torch.tensor(xs, [1, 3, 4]).to(ScalarType.Float32);
        using var oneChannel = torch.tensor(position, [1, 1, 4]);
        using var noChannel = torch.tensor(position, [1, 4]);
        using var everyChannel = oneChannel.repeat(1, 3, 1);

        var metric = new DropIncrease(model, 0.5);
        double y = Logistic.P1(w, b, xs), o = Logistic.P1(w, b, kept);
        foreach (var map in new[] { oneChannel, noChannel, everyChannel })
        {
            var item = Assert.Single(metric.Evaluate(x, map, [1]).Items);
            AssertItem(item, 1, y, o, Math.Max(0, y - o) / y, o > y ? 1 : 0);
        }
    }

    /// <summary>
    /// N features of value 0.05 with weight 1 and bias -2, so O = sigmoid(0.05 k - 2) tells how many (k) were kept;
    /// the map is a permutation of distinct values. k = int(N * frac) as Python truncates the float64 product.
    /// </summary>
    [Theory]
    [InlineData(100, 0.29, 28)]
    [InlineData(100, 0.57, 56)]
    [InlineData(10, 0.7, 7)]
    [InlineData(10, 0.3, 3)]
    [InlineData(7, 0.5, 3)]
    [InlineData(10, 0.0, 0)]
    public void KeepsIntOfNTimesFracFeaturesWhenTheMapHasNoTies(int n, double frac, int kept)
    {
        var w = Enumerable.Repeat(1f, n).ToArray();
        using var model = Logistic.Create([1, n], w, -2);
        using var x = torch.full([1, 1, n], 0.05);
        var permutation = Enumerable.Range(0, n).Select(j => (double)(j * 3 % n)).ToArray();
        Assert.Equal(n, permutation.Distinct().Count());
        using var map = torch.tensor(permutation, [1, 1, n]);
        var item = Assert.Single(new DropIncrease(model, frac).Evaluate(x, map, [1]).Items);
        Assert.Equal(1 / (1 + Math.Exp(-(0.05 * kept - 2))), item.O, 1e-6);
    }

    [Fact]
    public void SerializesWithSnakeCaseNamesAndReadsBack()
    {
        var result = new DropIncreaseResult(12.5, 50, 2, [new(3, 0.9, 0.6, 1.0 / 3, 0), new(1, 0.2, 0.4, 0, 1)]);
        string json = result.ToJson();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(["drop_pct", "increase_pct", "count", "items"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["target", "y", "o", "drop", "increase"], root.GetProperty("items")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(12.5, root.GetProperty("drop_pct").GetDouble());
        Assert.Equal(1, root.GetProperty("items")[1].GetProperty("increase").GetInt32());
        var back = DropIncreaseResult.FromJson(json);
        Assert.Equal(result.Items, back.Items);
        Assert.Equal((result.DropPct, result.IncreasePct, result.Count), (back.DropPct, back.IncreasePct, back.Count));
    }

    /// <summary>A whole test set in batches: the items do not depend on MaxBatch; targets default to the predicted classes.</summary>
    [Fact]
    public void BatchesDoNotChangeTheItemsAndTargetsDefaultToThePredictions()
    {
        using var generator = new torch.Generator(30);
        using var model = new Mnist1DCnn(generator: generator);
        using var x = torch.randn([37, 1, 40], generator: generator);
        using var maps = new GradientXInput(model).Attribute(x);
        var predicted = new Gradient(model).Predict(x);
        var one = new DropIncrease(model, 0.2) { MaxBatch = 1 }.Evaluate(x, maps);
        var many = new DropIncrease(model, 0.2) { MaxBatch = 16 }.Evaluate(x, maps);
        Assert.Equal(37, many.Count);
        Assert.Equal(predicted, many.Items.Select(i => i.Target));
        for (int i = 0; i < 37; i++)
        {
            Assert.Equal(one.Items[i].Y, many.Items[i].Y, 1e-6);
            Assert.Equal(one.Items[i].O, many.Items[i].O, 1e-6);
        }
        Assert.Equal(many.Items.Average(i => i.Drop) * 100, many.DropPct, 1e-9);
        Assert.Equal(many.Items.Average(i => (double)i.Increase) * 100, many.IncreasePct, 1e-9);
    }

    [Fact]
    public void BadMapsAndFractionsGetClearErrors()
    {
        using var model = Logistic.Create([3, 4], new float[12], 0);
        using var x = torch.zeros([2, 3, 4]);
        using var wrong = torch.zeros([2, 2, 4]);
        var error = Assert.Throws<ArgumentException>(() => new DropIncrease(model, 0.5).Evaluate(x, wrong));
        Assert.Contains("[2, 2, 4]", error.Message);
        Assert.Contains("[2, 1, 4]", error.Message);
        using var map = torch.zeros([2, 4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropIncrease(model, 1).Evaluate(x, map));
        using var nan = torch.full([2, 4], double.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => new DropIncrease(model, 0.5).Evaluate(x, nan)).Message);
    }
}

/// <summary>
/// Drop% and Increase% of the trained MNIST-1D CNN's gradient x input maps over its whole test set, against the
/// course's definition computed by Debian's python3-torch from the same weights, inputs and maps: Y and O are the
/// model's float32 softmax scores, so two scores that both round to 1.0 are equal and count as no increase.
/// </summary>
public class DropIncreaseAgainstPyTorchTests(TrainedMnist1DCnn trained, ITestOutputHelper output) : IClassFixture<TrainedMnist1DCnn>
{
    private const string Script = """
        folder, frac, batch = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
        model = build('mnist1d-cnn', f'{folder}/model.safetensors')
        x = torch.from_numpy(np.load(f'{folder}/x.npy'))
        maps = torch.from_numpy(np.load(f'{folder}/maps.npy'))
        t = torch.from_numpy(np.load(f'{folder}/targets.npy'))
        def scores(z):
            with torch.no_grad():
                return torch.cat([torch.softmax(model(z[s:s + batch]), 1).gather(1, t[s:s + batch, None])[:, 0]
                                  for s in range(0, len(z), batch)])
        flat = maps.flatten(1)
        threshold = flat.sort(1, descending=True).values[:, int(flat.shape[1] * frac)]
        keep = (flat > threshold[:, None]).view(maps.shape).to(x.dtype)
        y, o = scores(x), scores(x * keep)
        np.save(f'{folder}/y.npy', y.numpy())
        np.save(f'{folder}/o.npy', o.numpy())
        """;

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.9)]
    public void MatchesTheCourseDefinitionInFloat32(double frac)
    {
        using var folder = new TempDir();
        var model = trained.Model;
        var x = trained.Data.Test.Inputs;
        var targets = trained.Data.Test.LabelArray();
        using var maps = new GradientXInput(model).Attribute(x, targets);
        Trainer.SaveWeights(folder.File("model.safetensors"), model);
        Npy.save(folder.File("x.npy"), x);
        Npy.save(folder.File("maps.npy"), maps);
        using (var t = torch.tensor(targets)) Npy.save(folder.File("targets.npy"), t);
        var metric = new DropIncrease(model, frac);
        PythonReference.Run(Script, folder.Path, frac.ToString(System.Globalization.CultureInfo.InvariantCulture), metric.MaxBatch.ToString());
        double[] y = TestData.Values(Npy.load(folder.File("y.npy"))), o = TestData.Values(Npy.load(folder.File("o.npy")));

        var result = metric.Evaluate(x, maps, targets);

        // libtorch 2.10's float32 conv/linear kernels round differently from python3-torch 1.13's: on this test set the
        // logits differ by up to 9.5e-6 (a few ulps of logits around 10-20; in float64 both agree to 2e-14, so it is the
        // same network), which softmax turns into Y up to 1.10e-6 (37 float32 ulps) and O up to 7.5e-7 apart. The
        // tolerance was 1e-6 (the oneDNN program's rounding) and is 2e-6 now. An item decides "increase" alike on both
        // sides unless its O and Y are within that rounding of each other.
        const double Rounding = 2e-6;
        var items = result.Items;
        Assert.All(items.Select((item, i) => (item, i)), p =>
        {
            Assert.Equal(y[p.i], p.item.Y, Rounding);
            Assert.Equal(o[p.i], p.item.O, Rounding);
            if (Math.Abs(o[p.i] - y[p.i]) > Rounding) Assert.Equal(o[p.i] > y[p.i] ? 1 : 0, p.item.Increase);
            // Scores that both round to 1.0f are equal: float64 softmax would count their difference as an increase.
            if (y[p.i] == 1 && o[p.i] == 1) Assert.Equal(0, p.item.Increase);
        });
        int nearTies = y.Zip(o).Count(p => Math.Abs(p.First - p.Second) <= Rounding);
        double drop = y.Zip(o, (a, b) => Math.Max(0, a - b) / a).Average() * 100, increase = y.Zip(o, (a, b) => b > a ? 1.0 : 0).Average() * 100;
        Assert.Equal(drop, result.DropPct, 1e-3);
        Assert.InRange(result.IncreasePct, increase - 100.0 * nearTies / y.Length, increase + 100.0 * nearTies / y.Length);
        int saturated = y.Zip(o).Count(p => p.First == 1 && p.Second == 1);
        output.WriteLine($"frac {frac}: Drop% {result.DropPct:F3} (PyTorch {drop:F3}), Increase% {result.IncreasePct:F1} (PyTorch {increase:F1}); " +
                         $"{nearTies} items with |O - Y| <= {Rounding}, {saturated} with Y = O = 1.0f in PyTorch");
    }
}
