using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data;

/// <summary>Random flips and crops applied per batch during training.</summary>
public sealed record Augmentation(bool HorizontalFlip = false, bool VerticalFlip = false, int CropPadding = 0)
{
    public bool Any => HorizontalFlip || VerticalFlip || CropPadding > 0;
}

/// <summary>
/// Batches of a <see cref="LabeledDataset"/>. Each batch gathers its items with index_select, so an
/// epoch never copies the whole dataset. Shuffling draws from a generator seeded by (seed, epoch) and
/// augmentation from one seeded by (seed, epoch, batch), so any batch can be rebuilt on its own (a resumed
/// run continues exactly where it stopped). Not thread-safe: one loader per training loop.
/// </summary>
public sealed class DataLoader
{
    private const long ShuffleStream = 0, AugmentStream = 1;

    private readonly LabeledDataset data;
    private long cachedEpoch = -1;
    private long[] cachedOrder = [];

    public DataLoader(LabeledDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false,
        Augmentation? augmentation = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        this.data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Augmentation = augmentation ?? new Augmentation();
    }

    public int BatchSize { get; }

    public bool Shuffle { get; }

    public ulong Seed { get; }

    public bool DropLast { get; }

    public Augmentation Augmentation { get; }

    public long BatchesPerEpoch => DropLast ? data.Count / BatchSize : (data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The item order of an epoch: 0..N-1, or a permutation seeded by (seed, epoch).</summary>
    public long[] Order(long epoch) => (long[])CachedOrder(epoch).Clone();

    // Consecutive batches of one epoch share its order, so it is drawn once.
    private long[] CachedOrder(long epoch)
    {
        if (epoch == cachedEpoch) return cachedOrder;
        if (Shuffle)
        {
            using var generator = Seeds.Generator(Seed, ShuffleStream, epoch);
            using var perm = torch.randperm(data.Count, generator: generator);
            cachedOrder = perm.data<long>().ToArray();
        }
        else
        {
            cachedOrder = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).ToArray();
        }
        cachedEpoch = epoch;
        return cachedOrder;
    }

    /// <summary>The batches of one epoch, each (inputs, labels); the caller disposes them.</summary>
    public IEnumerable<(Tensor inputs, Tensor labels)> Epoch(long epoch)
    {
        for (long b = 0; b < BatchesPerEpoch; b++) yield return Batch(epoch, b);
    }

    /// <summary>Batch <paramref name="index"/> of <paramref name="epoch"/>, augmented when the loader augments.</summary>
    public (Tensor inputs, Tensor labels) Batch(long epoch, long index)
    {
        if (index < 0 || index >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"an epoch has {BatchesPerEpoch} batches");
        var order = CachedOrder(epoch);
        long start = index * BatchSize;
        var positions = order.AsSpan((int)start, (int)Math.Min(BatchSize, order.Length - start)).ToArray();
        using var indices = torch.tensor(positions, device: data.Inputs.device);
        var inputs = data.Inputs.index_select(0, indices);
        var labels = data.Labels.index_select(0, indices);
        if (Augmentation.Any)
        {
            using var generator = Seeds.Generator(Seed, AugmentStream, epoch, index);
            var augmented = Augment(inputs, generator);
            inputs.Dispose();
            inputs = augmented;
        }
        return (inputs, labels);
    }

    /// <summary>Per item: a random flip along the last (horizontal) or second-to-last axis, and a random crop after zero padding.</summary>
    private Tensor Augment(Tensor batch, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long n = batch.size(0);
        int last = (int)batch.ndim - 1;
        var items = new List<Tensor>();
        for (long i = 0; i < n; i++)
        {
            var x = batch[i];
            if (Augmentation.HorizontalFlip && Coin(generator)) x = x.flip(last - 1);
            if (Augmentation.VerticalFlip && batch.ndim == 4 && Coin(generator)) x = x.flip(last - 2);
            if (Augmentation.CropPadding > 0) x = RandomCrop(x, Augmentation.CropPadding, generator);
            items.Add(x);
        }
        return scope.MoveToOuter(torch.stack(items));
    }

    private static bool Coin(torch.Generator generator)
    {
        using var r = torch.randint(0, 2, [1], generator: generator);
        return r.item<long>() == 1;
    }

    // Pads every spatial axis by p on both sides, then takes a window of the original size at a random offset.
    private static Tensor RandomCrop(Tensor x, int p, torch.Generator generator)
    {
        int spatial = (int)x.ndim - 1;
        var pads = Enumerable.Repeat((long)p, 2 * spatial).ToArray();
        var padded = torch.nn.functional.pad(x.unsqueeze(0), pads).squeeze(0);
        using var offsets = torch.randint(0, 2 * p + 1, [spatial], generator: generator);
        var o = offsets.data<long>().ToArray();
        for (int a = 0; a < spatial; a++) padded = padded.narrow(a + 1, o[a], x.size(a + 1));
        return padded;
    }
}
