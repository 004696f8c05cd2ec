using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution.Cam;

/// <summary>Grad-CAM (Selvaraju et al. 2017): w_k = the mean over positions of dS_c/dA_k.</summary>
public sealed class GradCam(Classifier model, string layer) : BaseCam(model, layer)
{
    protected override Tensor ChannelWeights(Tensor activations, Tensor gradients) => gradients.mean(PositionAxes(gradients));
}
