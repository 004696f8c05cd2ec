using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>Per-channel (x - mean) / std, computed on a training set or given.</summary>
public sealed record ChannelNormalization(double[] Mean, double[] Std)
{
    public static readonly ChannelNormalization ImageNet = new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>Mean and population std of every channel over all items and positions of (N, C, ...) inputs.</summary>
    public static ChannelNormalization FromData(Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var dims = Enumerable.Range(0, (int)inputs.ndim).Where(d => d != 1).Select(d => (long)d).ToArray();
        var x = inputs.to(ScalarType.Float64);
        var mean = x.mean(dims).data<double>().ToArray();
        var std = x.std(dims, unbiased: false).data<double>().ToArray();
        return new ChannelNormalization(mean, std);
    }

    /// <summary>Returns normalized (N, C, ...) inputs as a new tensor.</summary>
    public Tensor Apply(Tensor inputs)
    {
        long channels = inputs.size(1);
        if (channels != Mean.Length)
            throw new ArgumentException($"normalization has {Mean.Length} channels but the inputs have {channels} (shape [{string.Join(", ", inputs.shape)}])");
        if (Std.Any(s => s <= 0)) throw new ArgumentException($"normalization std must be positive: [{string.Join(", ", Std)}]");
        using var scope = torch.NewDisposeScope();
        var shape = Enumerable.Repeat(1L, (int)inputs.ndim).ToArray();
        shape[1] = channels;
        var mean = torch.tensor(Mean.Select(v => (float)v).ToArray(), shape, device: inputs.device);
        var std = torch.tensor(Std.Select(v => (float)v).ToArray(), shape, device: inputs.device);
        return scope.MoveToOuter((inputs - mean) / std);
    }
}
