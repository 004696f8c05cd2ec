using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>Seeded splits of a labelled dataset into train and test.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Puts round(testFraction * n_c) items of every class c into the test set, chosen by a permutation
    /// drawn from a generator seeded with <paramref name="seed"/>; both sets keep the source order.
    /// </summary>
    public static DatasetSplit Split(LabeledDataset data, double testFraction, ulong seed)
    {
        if (testFraction <= 0 || testFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "the test fraction must be in (0, 1)");
        var labels = data.LabelArray();
        // An item whose label has no class would silently land in the training set, unstratified.
        int stray = Array.FindIndex(labels, l => l < 0 || l >= data.NumClasses);
        if (stray >= 0) throw new ArgumentException($"item {stray} has label {labels[stray]}, outside the {data.NumClasses} classes");
        using var generator = new torch.Generator(seed);
        var test = new List<long>();
        for (int c = 0; c < data.NumClasses; c++)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Select(i => (long)i).ToArray();
            using var perm = torch.randperm(members.Length, generator: generator);
            var order = perm.data<long>().ToArray();
            int take = (int)Math.Round(testFraction * members.Length, MidpointRounding.AwayFromZero);
            test.AddRange(order.Take(take).Select(j => members[j]));
        }
        return Partition(data, test);
    }

    /// <summary>
    /// Shuffles all items with a generator seeded by <paramref name="seed"/> and takes the first
    /// <paramref name="trainCount"/> for training, the rest for testing (for sorted sources such as the MNIST file).
    /// </summary>
    public static DatasetSplit Shuffled(LabeledDataset data, long trainCount, ulong seed)
    {
        if (trainCount <= 0 || trainCount >= data.Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), trainCount, $"the train count must be in (0, {data.Count})");
        using var generator = new torch.Generator(seed);
        using var perm = torch.randperm(data.Count, generator: generator);
        var order = perm.data<long>().ToArray();
        return new DatasetSplit(data.Subset(order[..(int)trainCount]), data.Subset(order[(int)trainCount..]));
    }

    private static DatasetSplit Partition(LabeledDataset data, List<long> testIndices)
    {
        var inTest = new HashSet<long>(testIndices);
        var train = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).Where(i => !inTest.Contains(i)).ToArray();
        var test = testIndices.Order().ToArray();
        return new DatasetSplit(data.Subset(train), data.Subset(test));
    }
}
