using System.Text.Json;
using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Evaluation;
using XaiGrid.Models.Architectures;
using XaiGrid.Torch;

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
        using var x = torch.randn([37, 1, 40], generator);
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
