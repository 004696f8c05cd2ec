using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution.Cam;

/// <summary>
/// Grad-CAM++ (Chattopadhay et al. 2018), with the closed form pytorch-grad-cam uses (the paper's eq. 19, which
/// takes the score as exp(S_c) so that higher derivatives are powers of g = dS_c/dA):
/// alpha = g^2 / (2 g^2 + sum_positions(A_k) g^3 + eps), w_k = sum over positions of alpha * ReLU(g).
/// </summary>
public sealed class GradCamPlusPlus(Classifier model, string layer) : BaseCam(model, layer)
{
    /// <summary>pytorch-grad-cam's guard, which makes alpha 0 rather than 0/0 where the gradient is 0.</summary>
    public const double Epsilon = 1e-6;

    protected override Tensor ChannelWeights(Tensor activations, Tensor gradients)
    {
        var positions = PositionAxes(gradients);
        // In place: a vgg7 batch's float64 gradients are tens of MB, and a temporary per term kept them all alive.
        using var sumA = activations.sum(positions, keepdim: true);
        using var alpha = gradients.square();
        using var denominator = sumA * alpha;
        denominator.mul_(gradients).add_(alpha, 2).add_(Epsilon);
        alpha.div_(denominator);
        using var positive = gradients.relu();
        alpha.mul_(positive);
        return alpha.sum(positions);
    }
}
