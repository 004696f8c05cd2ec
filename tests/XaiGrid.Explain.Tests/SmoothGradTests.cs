using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

public sealed class SmoothGradTests : IDisposable
{
    private readonly ITestOutputHelper output;
    private readonly Mnist1DCnn model;
    private readonly Tensor x;
    private readonly long[] targets = [1, 4, 8];
    private readonly long[] ids = [10, 11, 42];

    public SmoothGradTests(ITestOutputHelper output)
    {
        this.output = output;
        using var generator = new torch.Generator(17);
        model = new Mnist1DCnn(generator: generator);
        x = torch.randn([3, 1, 40], generator: generator);
    }

    public void Dispose()
    {
        model.Dispose();
        x.Dispose();
    }

    [Fact]
    public void WithSigmaNearZeroSmoothGradIsTheGradient()
    {
        using var smooth = new SmoothGrad(model, n: 8, sigma: 1e-6) { Seed = 3 }.Attribute(x, targets, ids);
        using var gradient = new Gradient(model).Attribute(x, targets);
        double error = TestData.AssertClose(gradient, smooth, 1e-4, "SmoothGrad with sigma 1e-6 against the gradient");
        output.WriteLine($"sigma 1e-6: relative difference to the gradient {error:E2}");
    }

    [Fact]
    public void MapsDoNotDependOnTheBatchSize()
    {
        var maps = new[] { 1, 3, 64 }.Select(b => new SmoothGrad(model, n: 10) { Seed = 5, MaxBatch = b }.Attribute(x, targets, ids)).ToArray();
        try
        {
            foreach (var m in maps[1..])
            {
                double error = TestData.AssertClose(maps[0], m, 1e-6, "SmoothGrad against MaxBatch 1");
                output.WriteLine($"relative difference to MaxBatch 1: {error:E2}");
            }
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }

    /// <summary>
    /// Random splits of [0, n) into 1 to 8 ranges, computed in any order and merged, give the one-shot sums; the merged
    /// map equals the one Attribute returns. Samples are evaluated in fixed blocks of the whole range, so every
    /// sample's float32 gradient is the same whatever the split and the sums agree up to float64 rounding.
    /// </summary>
    [Theory]
    [InlineData(1, 1e-9)]
    [InlineData(5, 1e-9)]
    [InlineData(64, 1e-9)]
    public void MergedPartialsOfAnySplitEqualTheOneShotSums(int maxBatch, double tolerance)
    {
        const long n = 24;
        var method = new SmoothGrad(model, n) { Seed = 9, MaxBatch = maxBatch };
        var whole = method.AttributePartial(x, targets, ids, 0, n);
        using var maps = method.Attribute(x, targets, ids);
        var random = new Random(1234);
        double worst = 0;
        for (int parts = 1; parts <= 8; parts++)
        {
            var cuts = Enumerable.Range(1, (int)n - 1).OrderBy(_ => random.Next()).Take(parts - 1).Order().Select(c => (long)c).ToList();
            var bounds = cuts.Prepend(0).Append(n).ToArray();
            var ranges = bounds.Zip(bounds[1..]).OrderBy(_ => random.Next()).ToArray();
            var pieces = ranges.Select(r => method.AttributePartial(x, targets, ids, r.First, r.Second)).ToArray();
            for (int i = 0; i < ids.Length; i++)
            {
                var merged = Partial.Merge(pieces.Select(p => p[i]));
                Assert.Equal((ids[i], 0L, n, n), (merged.Id, merged.Start, merged.End, merged.Count));
                using var sum = torch.tensor(merged.Sum, [1, merged.Sum.Length]);
                using var oneShot = torch.tensor(whole[i].Sum, [1, whole[i].Sum.Length]);
                worst = Math.Max(worst, TestData.AssertClose(oneShot, sum, tolerance, $"{parts} parts, input {ids[i]}: merged sums"));
                using var map = method.Finish(merged, x.shape[1..]);
                using var expected = maps[i];
                TestData.AssertClose(expected, map, 1e-6, $"{parts} parts, input {ids[i]}: merged map against Attribute's");
            }
        }
        output.WriteLine($"MaxBatch {maxBatch}: merged sums within {worst:E2} of the one-shot sums");
    }

    [Fact]
    public void TheSameSeedGivesTheSameMapsAndAnotherSeedOthers()
    {
        using var first = new SmoothGrad(model, n: 6) { Seed = 1 }.Attribute(x, targets, ids);
        using var again = new SmoothGrad(model, n: 6) { Seed = 1 }.Attribute(x, targets, ids);
        using var other = new SmoothGrad(model, n: 6) { Seed = 2 }.Attribute(x, targets, ids);
        Assert.Equal(first.data<float>().ToArray(), again.data<float>().ToArray());
        var a = TestData.Values(first);
        var b = TestData.Values(other);
        double difference = a.Zip(b, (u, v) => Math.Abs(u - v)).Max() / a.Max(Math.Abs);
        output.WriteLine($"seed 2 against seed 1: relative difference {difference:E2}");
        Assert.True(difference > 1e-2, $"seeds 1 and 2 give nearly the same maps ({difference})");
    }
}
