using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// Inputs and labels held as two tensors: inputs float32 (N, C, L) or (N, C, H, W), labels int64 (N).
/// Item ids are positions in this dataset; <see cref="Ids"/> keeps the ids of the source they came from
/// (so a test item keeps its identity after a split). The dataset owns the two tensors and disposes them.
/// </summary>
public sealed class LabeledDataset : IDisposable
{
    public LabeledDataset(Tensor inputs, Tensor labels, IReadOnlyList<string> classNames, long[]? ids = null)
    {
        if (inputs.ndim < 2) throw new ArgumentException($"inputs must be (N, C, ...); got shape [{string.Join(", ", inputs.shape)}]");
        if (labels.ndim != 1 || labels.size(0) != inputs.size(0))
            throw new ArgumentException($"labels must be (N) with N = {inputs.size(0)}; got shape [{string.Join(", ", labels.shape)}]");
        if (labels.dtype != ScalarType.Int64) throw new ArgumentException($"labels must be int64, got {labels.dtype}");
        // The dataset owns its tensors, as a module owns its parameters: no dispose scope frees them under it.
        Inputs = inputs.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassNames = classNames;
        Ids = ids ?? Enumerable.Range(0, (int)inputs.size(0)).Select(i => (long)i).ToArray();
        if (Ids.Length != inputs.size(0)) throw new ArgumentException($"{Ids.Length} ids for {inputs.size(0)} items");
    }

    public Tensor Inputs { get; }

    public Tensor Labels { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public long[] Ids { get; }

    public int NumClasses => ClassNames.Count;

    public long Count => Inputs.size(0);

    /// <summary>The shape of one input, e.g. [1, 40] or [3, 150, 150].</summary>
    public long[] InputShape => Inputs.shape[1..];

    /// <summary>The items at <paramref name="indices"/> (positions in this dataset), as a new dataset.</summary>
    public LabeledDataset Subset(long[] indices)
    {
        using var index = torch.tensor(indices, device: Inputs.device);
        return new LabeledDataset(Inputs.index_select(0, index), Labels.index_select(0, index), ClassNames,
            indices.Select(i => Ids[i]).ToArray());
    }

    public long[] LabelArray()
    {
        if (Labels.device_type == DeviceType.CPU) return Labels.data<long>().ToArray();
        using var cpu = Labels.cpu();
        return cpu.data<long>().ToArray();
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A training set and a test set over the same classes.</summary>
public sealed record DatasetSplit(LabeledDataset Train, LabeledDataset Test) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
