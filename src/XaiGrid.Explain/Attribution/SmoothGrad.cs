using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// SmoothGrad (Smilkov et al. 2017): the mean over n of dS_c/dx (x + e_i), e_i ~ N(0, (sigma (max(x) - min(x)))^2),
/// sigma a fraction of the input's value range.
/// </summary>
public sealed class SmoothGrad(Classifier model, long n = 50, double sigma = 0.15) : SampledAttribution(model)
{
    public override long Samples => n > 0 ? n : throw new ArgumentOutOfRangeException(nameof(n), n, "SmoothGrad needs n >= 1");

    public double Sigma => sigma >= 0 ? sigma : throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "sigma must be >= 0");

    protected override Tensor SampleTerms(Tensor x, long target, long id, long start, long end)
    {
        using var scope = torch.NewDisposeScope();
        double std = Sigma * (x.max().ToDouble() - x.min().ToDouble());
        var noise = Seeds.Rows(SampleSeeds(id, start, end), Seeds.Draw.Normal(x.shape, x.dtype))[0];
        var noisy = x.unsqueeze(0) + noise * std;
        var gradients = TargetGradients(noisy, Enumerable.Repeat(target, (int)(end - start)).ToArray());
        return scope.MoveToOuter(gradients);
    }
}
