using XaiGrid.Data;
using XaiGrid.Explain.Compression;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

public class CompressionTests(TrainedMnist1DCnn trained, ITestOutputHelper output) : IClassFixture<TrainedMnist1DCnn>
{
    private const string Layer = "conv2";

    private ModelCompression ForClass(int cls)
    {
        var labels = trained.Data.Train.LabelArray();
        using var instances = trained.Data.Train.Subset(Enumerable.Range(0, labels.Length).Where(i => labels[i] == cls).Select(i => (long)i).ToArray());
        var influence = ModelCompression.ClassChannelInfluence(trained.Model, Layer, cls, instances.Inputs);
        output.WriteLine($"class {cls}: channel influence [{string.Join(", ", influence.Select(v => v.ToString("F3")))}]");
        return new ModelCompression(trained.Model, Layer, cls, influence);
    }

    /// <summary>mnist1d-cnn's forward written out by hand, with conv2's output multiplied by a 0/1 channel mask.</summary>
    private long[] HandPredictions(Tensor inputs, bool[] keep)
    {
        var m = trained.Model;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var mask = torch.tensor(keep.Select(k => k ? 1f : 0f).ToArray()).view(1, 25, 1);
        var h1 = m.Layer("conv1").call(inputs).relu();
        var h2 = (m.Layer("conv2").call(h1) * mask).relu();
        var h3 = m.Layer("conv3").call(h2).relu();
        return m.Layer("linear").call(h3.flatten(1)).argmax(1).data<long>().ToArray();
    }

    [Fact]
    public void ClassCountsMatchAHandCount()
    {
        long[] predictions = [0, 1, 1, 2, 1, 0], labels = [1, 1, 0, 2, 1, 1];
        var counts = ClassCounts.Count(predictions, labels, 1);
        // Class 1: predicted and true at 1 and 4; predicted but class 0 at 2; true but missed at 0 and 5.
        Assert.Equal(new ClassCounts(1, 2, 1, 2), counts);
        Assert.Equal(2.0 / 4, counts.Recall);
        Assert.Equal(2.0 / 3, counts.Precision);
        var never = ClassCounts.Count(predictions, labels, 3);
        Assert.Equal((0.0, 0.0), (never.Recall, never.Precision));
        var two = ClassCounts.Count(predictions, labels, 2);
        Assert.Equal((1.0, 1.0), (two.Recall, two.Precision));
    }

    [Fact]
    public void KeptChannelsAreTheTopAndBottomOfTheRanking()
    {
        // Channel j scores (j * 7 mod 25) - 12: a known permutation with both signs.
        var scores = Enumerable.Range(0, 25).Select(j => (double)(j * 7 % 25 - 12)).ToArray();
        var compression = new ModelCompression(trained.Model, Layer, 0, scores);
        var byScore = Enumerable.Range(0, 25).OrderByDescending(j => scores[j]).ToArray();
        Assert.Equal(byScore.Select(j => (long)j), compression.Ranking);
        var kept = compression.Kept(3, 2);
        var expected = byScore.Take(3).Concat(byScore.TakeLast(2)).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 25).Select(expected.Contains), kept);
        Assert.Equal(25, compression.Kept(20, 20).Count(k => k));
        Assert.Throws<ArgumentOutOfRangeException>(() => compression.Kept(26, 0));
    }

    [Fact]
    public void KeepingEveryChannelReproducesTheOriginalModelAndZeroingThemAllDoesNot()
    {
        var compression = ForClass(3);
        var test = trained.Data.Test;
        var original = compression.Predict(test.Inputs, null);
        Assert.Equal(original, compression.Predict(test.Inputs, compression.Kept(25, 0)));
        Assert.Equal(compression.EvaluateOriginal(test), compression.Evaluate(test, 25, 0).Counts);

        // With conv2 zeroed, every input gets the logits of an all-zero conv2 output: one class for all, as the hand forward says.
        var zeroed = compression.Predict(test.Inputs, compression.Kept(0, 0));
        Assert.Equal(HandPredictions(test.Inputs, new bool[25]), zeroed);
        Assert.Single(zeroed.Distinct());
        int changed = original.Zip(zeroed).Count(p => p.First != p.Second);
        output.WriteLine($"zeroing conv2 changes {changed} of {original.Length} predictions (all become class {zeroed[0]})");
        Assert.True(changed > original.Length / 2);

        // A partial mask gives what the hand forward with the same mask gives.
        var kept = compression.Kept(5, 3);
        Assert.Equal(HandPredictions(test.Inputs, kept), compression.Predict(test.Inputs, kept));
    }

    [Fact]
    public void TheGridFindsACompressedModelAtLeastAsGoodAsTheOriginal()
    {
        const int cls = 3;
        var compression = ForClass(cls);
        var test = trained.Data.Test;
        int[] tops = [0, 1, 2, 3, 5, 8, 12, 25], bottoms = [0, 1, 3, 6];
        var grid = compression.Grid(test, tops, bottoms);

        output.WriteLine($"class {cls} at {Layer}: original recall {grid.OriginalRecall:F3}, precision {grid.OriginalPrecision:F3}");
        for (int i = 0; i < tops.Length; i++)
            output.WriteLine($"top {tops[i],2}: " + string.Join("  ", bottoms.Select((b, j) => $"b{b}: R {grid.Recall[i][j]:F3} P {grid.Precision[i][j]:F3}")));
        output.WriteLine($"best: top {grid.Best.Top}, bottom {grid.Best.Bottom}, {grid.Best.Channels} channels, recall {grid.Best.Recall:F3}, precision {grid.Best.Precision:F3}");

        // The original recall counted by hand from the model's own argmax.
        var labels = test.LabelArray();
        using (var noGrad = torch.no_grad())
        using (var logits = trained.Model.call(test.Inputs))
        using (var argmax = logits.argmax(1))
        {
            var predicted = argmax.data<long>().ToArray();
            double positives = labels.Count(l => l == cls), hits = labels.Where((l, i) => l == cls && predicted[i] == cls).Count();
            Assert.Equal(hits / positives, grid.OriginalRecall, 12);
        }
        // Each cell is the point computed on its own; (25, 0) is the original model.
        var point = compression.Evaluate(test, 5, 1);
        Assert.Equal(point.Recall, grid.Recall[Array.IndexOf(tops, 5)][Array.IndexOf(bottoms, 1)]);
        Assert.Equal(point.Precision, grid.Precision[Array.IndexOf(tops, 5)][Array.IndexOf(bottoms, 1)]);
        Assert.Equal(grid.OriginalRecall, grid.Recall[Array.IndexOf(tops, 25)][0]);
        // Compression by influence keeps the class's recall with a fraction of the channels (Leino et al.'s finding).
        Assert.True(grid.Best.Recall >= grid.OriginalRecall);
        Assert.True(grid.Best.Recall >= 0.9, $"best recall {grid.Best.Recall:F3}");
        Assert.True(grid.Best.Channels < 25, $"best cell keeps all {grid.Best.Channels} channels");
    }

    [Fact]
    public void TheBestCellBreaksTiesByPrecisionThenByFewerChannels()
    {
        CompressionPoint P(int top, int bottom, int channels, long tp, long fp, long fn) => new(top, bottom, channels, new ClassCounts(2, tp, fp, fn));
        var original = new ClassCounts(2, 6, 2, 4);
        var points = new[]
        {
            P(1, 0, 1, 8, 8, 2),  // recall 0.8, precision 0.5
            P(1, 1, 2, 8, 2, 2),  // recall 0.8, precision 0.8, 2 channels
            P(2, 0, 2, 4, 0, 6),  // recall 0.4
            P(2, 1, 3, 8, 2, 2),  // recall 0.8, precision 0.8, 3 channels
        };
        var grid = CompressionGrid.Assemble(2, "conv2", [1, 2], [0, 1], points.Reverse(), original);
        Assert.Equal((1, 1), (grid.Best.Top, grid.Best.Bottom));
        Assert.Equal(new[] { new[] { 0.8, 0.8 }, new[] { 0.4, 0.8 } }, grid.Recall);
        Assert.Equal(new[] { new[] { 0.5, 0.8 }, new[] { 1.0, 0.8 } }, grid.Precision);
        Assert.Equal(0.6, grid.OriginalRecall);
        Assert.Throws<ArgumentException>(() => CompressionGrid.Assemble(2, "conv2", [1, 2], [0, 1], points.Skip(1), original));
        Assert.Throws<ArgumentException>(() => CompressionGrid.Assemble(2, "conv2", [1, 2], [0, 1], [.. points, points[0]], original));
    }
}
