using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

public class ChannelNormalizationTests
{
    // Channel c is N(0, 1) scaled by c + 1 and shifted by 3c, so every channel has its own statistics.
    private static Tensor Inputs(params long[] shape)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(17);
        var x = torch.randn(shape, generator: generator);
        var channelShape = shape.Select((s, d) => d == 1 ? s : 1L).ToArray();
        var scale = torch.arange(1, shape[1] + 1).reshape(channelShape);
        var shift = torch.arange(0, 3 * shape[1], 3).reshape(channelShape);
        return scope.MoveToOuter(x * scale + shift);
    }

    /// <summary>Mean and population std of every channel of (N, C, ...) values, summed in doubles.</summary>
    private static (double[] mean, double[] std) ByHand(Tensor t)
    {
        var v = t.data<float>().ToArray();
        long n = t.size(0), c = t.size(1), inner = t.numel() / (n * c);
        var mean = new double[c];
        var std = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, (int)n).SelectMany(i => v.AsSpan((int)((i * c + ch) * inner), (int)inner).ToArray()).Select(f => (double)f).ToArray();
            mean[ch] = values.Sum() / values.Length;
            double m = mean[ch];
            std[ch] = Math.Sqrt(values.Sum(x => (x - m) * (x - m)) / values.Length);
        }
        return (mean, std);
    }

    [Theory]
    [InlineData(new long[] { 6, 3, 5, 7 })]
    [InlineData(new long[] { 9, 2, 40 })]
    public void FromData_gives_each_channels_mean_and_population_std(long[] shape)
    {
        using var inputs = Inputs(shape);
        var stats = ChannelNormalization.FromData(inputs);
        var (mean, std) = ByHand(inputs);
        Assert.Equal(shape[1], stats.Mean.Length);
        for (int c = 0; c < mean.Length; c++)
        {
            Assert.Equal(mean[c], stats.Mean[c], 1e-12);
            Assert.Equal(std[c], stats.Std[c], 1e-12);
        }
        // The channels really differ, so a mix-up of axes would show.
        Assert.True(std[^1] > 1.5 * std[0]);
    }

    [Fact]
    public void Apply_gives_zero_mean_and_unit_std_per_channel()
    {
        using var inputs = Inputs(6, 3, 5, 7);
        using var normalized = ChannelNormalization.FromData(inputs).Apply(inputs);
        Assert.Equal(inputs.shape, normalized.shape);
        var (mean, std) = ByHand(normalized);
        Assert.All(mean, m => Assert.Equal(0, m, 1e-5));
        Assert.All(std, s => Assert.Equal(1, s, 1e-5));
    }

    [Fact]
    public void Apply_computes_x_minus_mean_over_std_in_float32()
    {
        using var inputs = Inputs(2, 3, 2, 2);
        var stats = new ChannelNormalization([0.5, -1.25, 2], [0.3, 2, 0.7]);
        using var normalized = stats.Apply(inputs);
        var x = inputs.data<float>().ToArray();
        var y = normalized.data<float>().ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / 4 % 3;
            Assert.Equal((x[i] - (float)stats.Mean[c]) / (float)stats.Std[c], y[i]);
        }
    }

    [Fact]
    public void A_channel_count_mismatch_or_a_non_positive_std_is_refused()
    {
        using var gray = torch.zeros([2, 1, 4, 4]);
        var e = Assert.Throws<ArgumentException>(() => ChannelNormalization.ImageNet.Apply(gray));
        Assert.Contains("3 channels", e.Message);
        Assert.Contains("[2, 1, 4, 4]", e.Message);

        e = Assert.Throws<ArgumentException>(() => new ChannelNormalization([0.0], [0.0]).Apply(gray));
        Assert.Contains("std must be positive", e.Message);
    }
}
