using XaiGrid.Models.Architectures;
using XaiGrid.Torch;

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
        using var scope = torch.NewDisposeScope();
        var positions = PositionAxes(gradients);
        var g2 = gradients.square();
        var g3 = g2 * gradients;
        var sumA = activations.sum(positions, keepdim: true);
        var alpha = g2 / (2 * g2 + sumA * g3 + Epsilon);
        return scope.MoveToOuter((alpha * gradients.relu()).sum(positions));
    }
}
