using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

public class DataLoaderTests
{
    // Every element of every item differs (1, 2, 3, ...), so flips and shifted windows are told apart; label = item % 4.
    private static LabeledDataset Distinct(params long[] shape)
    {
        long n = shape[0], size = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(1, (int)size).Select(v => (float)v).ToArray();
        return new LabeledDataset(torch.tensor(values, shape),
            torch.tensor(Enumerable.Range(0, (int)n).Select(i => (long)(i % 4)).ToArray()), ["a", "b", "c", "d"]);
    }

    /// <summary>Runs an epoch and keeps each batch's values (inputs as float[][] per item, labels).</summary>
    private static List<(float[][] items, long[] labels, long[] shape)> Run(DataLoader loader, long epoch)
    {
        var batches = new List<(float[][], long[], long[])>();
        foreach (var (inputs, labels) in loader.Epoch(epoch))
        {
            using (inputs)
            using (labels)
            {
                long n = inputs.size(0);
                var flat = inputs.data<float>().ToArray();
                int per = (int)(flat.Length / n);
                batches.Add((flat.Chunk(per).ToArray(), labels.data<long>().ToArray(), inputs.shape));
            }
        }
        return batches;
    }

    private static float[] Item(LabeledDataset data, long i)
    {
        using var t = data.Inputs[i];
        return t.data<float>().ToArray();
    }

    [Theory]
    [InlineData(false, 3, new[] { 4, 4, 2 })]
    [InlineData(true, 2, new[] { 4, 4 })]
    public void Batch_count_and_sizes_follow_drop_last(bool dropLast, long batches, int[] sizes)
    {
        using var data = Distinct(10, 2, 3);
        var loader = new DataLoader(data, batchSize: 4, dropLast: dropLast);
        Assert.Equal(batches, loader.BatchesPerEpoch);
        Assert.Equal(sizes, Run(loader, 0).Select(b => b.items.Length));
    }

    [Fact]
    public void Unshuffled_batches_are_consecutive_slices()
    {
        using var data = Distinct(10, 2, 3);
        var loader = new DataLoader(data, batchSize: 4);
        var labels = data.LabelArray();
        int start = 0;
        foreach (var (items, batchLabels, shape) in Run(loader, 3))
        {
            Assert.Equal([items.Length, 2L, 3], shape);
            for (int j = 0; j < items.Length; j++) Assert.Equal(Item(data, start + j), items[j]);
            Assert.Equal(labels[start..(start + items.Length)], batchLabels);
            start += items.Length;
        }
        Assert.Equal(10, start);
    }

    [Fact]
    public void A_shuffled_epoch_is_a_permutation_fixed_by_seed_and_epoch()
    {
        using var data = Distinct(50, 1, 2);
        var loader = new DataLoader(data, batchSize: 8, shuffle: true, seed: 7);
        var order = loader.Order(2);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), order.Order());
        Assert.Equal(order, new DataLoader(data, batchSize: 3, shuffle: true, seed: 7).Order(2));
        Assert.NotEqual(order, loader.Order(3));
        Assert.NotEqual(order, new DataLoader(data, batchSize: 8, shuffle: true, seed: 8).Order(2));

        // The epoch's batches hold the items in that order.
        var seen = Run(loader, 2).SelectMany(b => b.items).ToArray();
        Assert.Equal(50, seen.Length);
        for (int k = 0; k < 50; k++) Assert.Equal(Item(data, order[k]), seen[k]);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_flip_gives_the_flipped_item_or_the_item_itself(bool horizontal, bool vertical)
    {
        using var data = Distinct(64, 2, 3, 5);
        var loader = new DataLoader(data, batchSize: 16, seed: 11, augmentation: new Augmentation(horizontal, vertical));
        int flipped = 0, kept = 0, k = 0;
        foreach (var (items, _, shape) in Run(loader, 0))
        {
            Assert.Equal([items.Length, 2L, 3, 5], shape);
            foreach (var item in items)
            {
                var original = Item(data, k++);
                // Flipped by hand on (c, y, x): x -> 4 - x horizontally, y -> 2 - y vertically.
                var mirror = new float[original.Length];
                for (int c = 0; c < 2; c++)
                for (int y = 0; y < 3; y++)
                for (int x = 0; x < 5; x++)
                    mirror[(c * 3 + (vertical ? 2 - y : y)) * 5 + (horizontal ? 4 - x : x)] = original[(c * 3 + y) * 5 + x];
                if (item.AsSpan().SequenceEqual(mirror)) flipped++;
                else if (item.AsSpan().SequenceEqual(original)) kept++;
                else Assert.Fail($"item {k - 1} is neither itself nor its mirror image");
            }
        }
        Assert.Equal(64, flipped + kept);
        Assert.InRange(flipped, 1, 63);
    }

    [Fact]
    public void A_horizontal_flip_of_sequences_reverses_them()
    {
        using var data = Distinct(32, 1, 6);
        var loader = new DataLoader(data, batchSize: 32, seed: 2, augmentation: new Augmentation(HorizontalFlip: true));
        var items = Run(loader, 0).Single().items;
        int reversed = 0;
        for (int i = 0; i < 32; i++)
        {
            var original = Item(data, i);
            if (items[i].AsSpan().SequenceEqual(original.Reverse().ToArray())) reversed++;
            else Assert.Equal(original, items[i]);
        }
        Assert.InRange(reversed, 1, 31);
    }

    [Fact]
    public void A_padded_crop_is_a_window_of_the_zero_padded_item()
    {
        const int p = 2, h = 4, w = 5, channels = 2;
        using var data = Distinct(40, channels, h, w);
        var loader = new DataLoader(data, batchSize: 16, seed: 3, augmentation: new Augmentation(CropPadding: p));
        var offsets = new HashSet<(int, int)>();
        int k = 0;
        foreach (var (items, _, shape) in Run(loader, 0))
        {
            Assert.Equal([items.Length, channels, h, w], shape);
            foreach (var item in items)
            {
                var original = Item(data, k++);
                float Padded(int c, int y, int x) =>
                    y < p || y >= h + p || x < p || x >= w + p ? 0 : original[(c * h + y - p) * w + x - p];
                var matches = new List<(int, int)>();
                for (int dy = 0; dy <= 2 * p; dy++)
                for (int dx = 0; dx <= 2 * p; dx++)
                {
                    bool all = true;
                    for (int c = 0; c < channels && all; c++)
                    for (int y = 0; y < h && all; y++)
                    for (int x = 0; x < w && all; x++)
                        all = item[(c * h + y) * w + x] == Padded(c, y + dy, x + dx);
                    if (all) matches.Add((dy, dx));
                }
                Assert.Single(matches);
                offsets.Add(matches[0]);
            }
        }
        // 40 draws of 25 offsets: the crop moves.
        Assert.True(offsets.Count > 5, $"only {offsets.Count} distinct offsets");
    }

    [Fact]
    public void Augmentation_is_the_same_for_a_seed_and_epoch_and_differs_across_epochs()
    {
        using var data = Distinct(24, 1, 4, 4);
        var augmentation = new Augmentation(HorizontalFlip: true, VerticalFlip: true, CropPadding: 1);
        // Unshuffled, so that a difference between epochs comes from the augmentation alone.
        DataLoader Loader() => new(data, batchSize: 8, seed: 9, augmentation: augmentation);
        float[] Values(DataLoader loader, long epoch) => Run(loader, epoch).SelectMany(b => b.items.SelectMany(i => i)).ToArray();
        var first = Values(Loader(), 1);
        Assert.Equal(first, Values(Loader(), 1));
        Assert.NotEqual(first, Values(Loader(), 2));
    }

    [Fact]
    public void A_batch_rebuilt_on_its_own_equals_that_batch_of_the_epoch()
    {
        using var data = Distinct(24, 1, 4, 4);
        var augmentation = new Augmentation(HorizontalFlip: true, CropPadding: 1);
        var epoch = Run(new DataLoader(data, batchSize: 5, shuffle: true, seed: 4, augmentation: augmentation), 6);
        // A fresh loader, as after a resume, asked for the fourth batch only.
        var (inputs, labels) = new DataLoader(data, batchSize: 5, shuffle: true, seed: 4, augmentation: augmentation).Batch(6, 3);
        using (inputs)
        using (labels)
        {
            Assert.Equal(epoch[3].items.SelectMany(i => i), inputs.data<float>().ToArray());
            Assert.Equal(epoch[3].labels, labels.data<long>().ToArray());
        }
    }
}
