using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>Gradient times input: x * dS_c/dx.</summary>
public sealed class GradientXInput(Classifier model) : AttributionMethod(model)
{
    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var gradients = TargetGradients(inputs, targets);
        return gradients.mul(inputs);
    }
}
