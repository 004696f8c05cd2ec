using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>Saliency (Simonyan et al. 2014): dS_c/dx.</summary>
public sealed class Gradient(Classifier model) : AttributionMethod(model)
{
    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids) => TargetGradients(inputs, targets);
}
