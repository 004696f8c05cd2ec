using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

/// <summary>
/// nn.Dropout whose masks come from <see cref="generator"/> when set (not owned), so a training run can seed each
/// step's dropout by its identity; TorchSharp's dropout draws from the global generator only. In training mode it
/// computes what PyTorch's dropout does: input * bernoulli(1 - p) / (1 - p); in eval mode it passes input through.
/// </summary>
public sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    public double p { get; }

    public Generator? generator { get; set; }

    public SeededDropout(double p = 0.5) : base(nameof(SeededDropout))
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability has to be between 0 and 1");
        this.p = p;
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || p == 0) return input.alias();
        if (p == 1) return input.mul(0.0);
        using var keep = full(input.shape, 1 - p, input.dtype == float64 ? float64 : float32, input.device);
        using var mask = keep.bernoulli(generator);
        mask.div_(1 - p);
        return input.mul(mask);
    }
}
