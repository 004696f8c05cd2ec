using XaiGrid.Explain.Attribution;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

public class OcclusionTests
{
    /// <summary>
    /// Occlusion of a linear model written out: a placement's difference S_c(x) - S_c(x occluded) is
    /// sum over its positions and all channels of w (x - baseline); a position averages the placements covering it.
    /// </summary>
    private static double[] ByHand(float[] w, float[] x, long channels, long[] size, long[] window, long[] stride, double baseline)
    {
        long h = size.Length == 2 ? size[0] : 1, wd = size[^1];
        long winH = size.Length == 2 ? window[0] : 1, winW = window[^1];
        long strideH = size.Length == 2 ? stride[0] : 1, strideW = stride[^1];
        var total = new double[h * wd];
        var count = new int[h * wd];
        for (long top = 0; top + winH <= h; top += strideH)
            for (long left = 0; left + winW <= wd; left += strideW)
            {
                double difference = 0;
                for (long c = 0; c < channels; c++)
                    for (long i = top; i < top + winH; i++)
                        for (long j = left; j < left + winW; j++)
                        {
                            long e = (c * h + i) * wd + j;
                            difference += w[e] * ((double)x[e] - baseline);
                        }
                for (long i = top; i < top + winH; i++)
                    for (long j = left; j < left + winW; j++)
                    {
                        total[i * wd + j] += difference;
                        count[i * wd + j]++;
                    }
            }
        return total.Select((t, p) => count[p] == 0 ? 0 : t / count[p]).ToArray();
    }

    [Fact]
    public void OnALinearModelEachPositionAveragesTheWindowsCoveringIt()
    {
        // Placements start at 0, 2, 4, 6; position 9 is never covered and gets 0.
        float[] w = [0.5f, -1, 2, 0.25f, -0.75f, 1.5f, 0.1f, -2, 3, 1, /* class 1 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        float[] x = [1, 2, 3, -1, 0.5f, 2, -3, 1, 0, 4];
        using var model = new LinearModel([1, 10], w, [0.3f, -0.2f]);
        using var input = torch.tensor(x, [1, 1, 10]);
        using var map = new Occlusion(model, [3], [2], baseline: 0.5).Attribute(input, [0]);
        Assert.Equal([1L, 1, 10], map.shape);
        var expected = ByHand(w, x, 1, [10], [3], [2], 0.5);
        Assert.Equal(0, expected[9]);
        using var want = torch.tensor(expected, [1, 1, 10]);
        TestData.AssertClose(want, map, 1e-6, "1-D occlusion");
    }

    [Fact]
    public void OccludesEveryChannelOfA2DWindowTogether()
    {
        long[] shape = [3, 7, 6];
        int features = 3 * 7 * 6;
        using var g = new torch.Generator(4);
        using var weights = torch.randn([2 * features], generator: g);
        using var inputs = torch.randn([2, .. shape], generator: g);
        var w = weights.data<float>().ToArray();
        using var model = new LinearModel(shape, w, [0, 0]);
        var occlusion = new Occlusion(model, [3, 2], [2, 3], baseline: -0.25) { MaxBatch = 5 };
        using var maps = occlusion.Attribute(inputs, [0, 0]);
        Assert.Equal([2L, 1, 7, 6], maps.shape);
        var x = inputs.data<float>().ToArray();
        var expected = Enumerable.Range(0, 2)
            .SelectMany(i => ByHand(w, x[(i * features)..((i + 1) * features)], 3, [7, 6], [3, 2], [2, 3], -0.25)).ToArray();
        using var want = torch.tensor(expected, [2, 1, 7, 6]);
        TestData.AssertClose(want, maps, 1e-5, "2-D occlusion");
    }

    [Fact]
    public void RanksTheOnlyRegionTheModelSeesFirst()
    {
        using var model = new RegionModel();
        using var g = new torch.Generator(3);
        using var x = torch.rand([2, 3, RegionModel.Side, RegionModel.Side], generator: g) + 0.1;
        using var maps = new Occlusion(model, [4], [2]) { MaxBatch = 50 }.Attribute(x, [0, 0]);
        for (int i = 0; i < 2; i++)
        {
            using var map = maps[i];
            Assert.All(TestData.TopPositions(map, 40), p => Assert.True(RegionModel.Inside(p), $"map {i}: top position {p} is outside the region"));
        }
    }

    [Fact]
    public void AWindowLongerThanTheInputIsNamed()
    {
        using var model = new LinearModel([1, 10], new float[20], [0, 0]);
        using var x = torch.zeros([1, 1, 10]);
        var error = Assert.Throws<ArgumentException>(() => new Occlusion(model, [11]).Attribute(x));
        Assert.Contains("window 11", error.Message);
        Assert.Throws<ArgumentException>(() => new Occlusion(model, [2], [0]));
    }
}
