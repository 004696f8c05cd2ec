using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

public sealed class MnistFixture : IDisposable
{
    public LabeledDataset Data { get; } = NpyDataset.Load(TestData.MnistImages, TestData.MnistLabels);

    public void Dispose() => Data.Dispose();
}

public class StratifiedSplitTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    // Class c has Counts[c] items, interleaved; item i's single input value is i, so a value names its source item.
    private static readonly int[] Counts = [7, 10, 3, 1, 20];

    private static LabeledDataset Synthetic()
    {
        var labels = Enumerable.Range(0, Counts.Length).SelectMany(c => Enumerable.Repeat((long)c, Counts[c]))
            .Select((label, i) => (label, key: i * 7919 % 41)).OrderBy(p => p.key).Select(p => p.label).ToArray();
        int n = labels.Length;
        return new LabeledDataset(torch.tensor(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), [n, 1]),
            torch.tensor(labels), Enumerable.Range(0, Counts.Length).Select(c => $"c{c}").ToArray());
    }

    private static void AssertDisjointCoveringAndFaithful(LabeledDataset source, DatasetSplit split)
    {
        Assert.Empty(split.Train.Ids.Intersect(split.Test.Ids));
        Assert.Equal(Enumerable.Range(0, (int)source.Count).Select(i => (long)i), split.Train.Ids.Concat(split.Test.Ids).Order());
        var sourceLabels = source.LabelArray();
        foreach (var part in new[] { split.Train, split.Test })
            Assert.Equal(part.Ids.Select(id => sourceLabels[id]), part.LabelArray());
    }

    [Fact]
    public void Split_takes_round_fraction_of_every_class_into_test_disjoint_and_covering()
    {
        using var data = Synthetic();
        using var split = StratifiedSplit.Split(data, 0.3, seed: 5);
        // 0.3 * [7, 10, 3, 1, 20] = [2.1, 3, 0.9, 0.3, 6], rounded by hand.
        long[] expected = [2, 3, 1, 0, 6];
        var testLabels = split.Test.LabelArray();
        Assert.Equal(expected, Enumerable.Range(0, Counts.Length).Select(c => (long)testLabels.Count(l => l == c)));
        AssertDisjointCoveringAndFaithful(data, split);
        // Both sets keep the source order, and every item is the source's (its value is its source position).
        foreach (var part in new[] { split.Train, split.Test })
        {
            Assert.Equal(part.Ids.Order(), part.Ids);
            Assert.Equal(part.Ids.Select(id => (float)id), part.Inputs.data<float>().ToArray());
        }
    }

    [Fact]
    public void Split_is_the_same_for_a_seed_and_different_for_another()
    {
        using var data = Synthetic();
        using var a = StratifiedSplit.Split(data, 0.3, seed: 5);
        using var b = StratifiedSplit.Split(data, 0.3, seed: 5);
        using var c = StratifiedSplit.Split(data, 0.3, seed: 6);
        Assert.Equal(a.Test.Ids, b.Test.Ids);
        Assert.NotEqual(a.Test.Ids, c.Test.Ids);
    }

    [Fact]
    public void Split_of_mnist_has_the_rounded_class_counts()
    {
        var data = mnist.Data;
        using var split = StratifiedSplit.Split(data, 0.2, seed: 1);
        var labels = data.LabelArray();
        var testLabels = split.Test.LabelArray();
        for (int c = 0; c < 10; c++)
            Assert.Equal(Math.Round(0.2 * labels.Count(l => l == c), MidpointRounding.AwayFromZero), testLabels.Count(l => l == c));
        AssertDisjointCoveringAndFaithful(data, split);
    }

    [Fact]
    public void Shuffled_mnist_gives_8000_and_2000_items_that_are_the_source_items_of_their_ids()
    {
        var data = mnist.Data;
        using var split = StratifiedSplit.Shuffled(data, 8000, seed: 42);
        Assert.Equal(8000, split.Train.Count);
        Assert.Equal(2000, split.Test.Count);
        AssertDisjointCoveringAndFaithful(data, split);
        // The source is sorted by label; a shuffled test set of 2000 holds every digit.
        Assert.Equal(10, split.Test.LabelArray().Distinct().Count());
        foreach (var part in new[] { split.Train, split.Test })
        {
            for (int i = 0; i < part.Count; i += 97)
            {
                using var item = part.Inputs[i];
                using var original = data.Inputs[part.Ids[i]];
                TestData.AssertEqual(original, item);
            }
        }

        using var again = StratifiedSplit.Shuffled(data, 8000, seed: 42);
        using var other = StratifiedSplit.Shuffled(data, 8000, seed: 43);
        Assert.Equal(split.Test.Ids, again.Test.Ids);
        Assert.NotEqual(split.Test.Ids, other.Test.Ids);
    }

    [Fact]
    public void Bad_fractions_counts_and_labels_are_refused()
    {
        using var data = Synthetic();
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Split(data, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Split(data, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Shuffled(data, data.Count, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Shuffled(data, 0, 1));

        using var stray = new LabeledDataset(torch.zeros([3, 1]), torch.tensor(new long[] { 0, 2, 1 }), ["a", "b"]);
        var e = Assert.Throws<ArgumentException>(() => StratifiedSplit.Split(stray, 0.5, 1));
        Assert.Contains("item 1 has label 2", e.Message);
    }
}
