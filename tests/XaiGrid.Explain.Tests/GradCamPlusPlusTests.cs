using XaiGrid.Explain.Attribution.Cam;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

public class GradCamPlusPlusTests(CamReference reference) : IClassFixture<CamReference>
{
    [Fact]
    public void MatchesAHandComputationOnATinyNetwork()
    {
        // x = (1, 2, -1, 1/2): A_0 = x (sum 5/2), g_0 = A_0 / 2 = (1/2, 1, -1/2, 1/4); A_1 = -2x (sum -5), g_1 = A_1.
        // alpha = g^2 / (2 g^2 + sum(A) g^3) = 1 / (2 + sum(A) g) where g != 0.
        // w_0 = 1/2 * 1/(2 + 5/4) + 1 * 1/(2 + 5/2) + 1/4 * 1/(2 + 5/8) = 2/13 + 2/9 + 2/21 (g = -1/2 has ReLU(g) = 0);
        // w_1: only g = 2 is positive, alpha = 1/(2 - 10) = -1/8, so w_1 = -1/4.
        // map = ReLU(w_0 x + w_1 (-2x)) = ReLU((w_0 + 1/2) x).
        using var model = new SquareModel(4);
        using var x = torch.tensor(new float[] { 1, 2, -1, 0.5f }, [1, 1, 4]);
        using var map = new GradCamPlusPlus(model, "conv").Attribute(x, [0]);
        double scale = 2.0 / 13 + 2.0 / 9 + 2.0 / 21 + 0.5;
        using var expected = torch.tensor(new[] { 1, 2, 0, 0.5 }.Select(v => scale * v).ToArray(), [1, 1, 4]);
        // The 1e-6 guard in alpha's denominator moves the weights by about 1e-6 relative.
        TestData.AssertClose(expected, map, 1e-5, "hand computation");
    }

    [Theory]
    [MemberData(nameof(CamReference.LayerData), MemberType = typeof(CamReference))]
    public void EqualsPyTorchsGradCamPlusPlus(string arch, string layer)
    {
        var x = reference.Inputs(arch);
        using var maps = new GradCamPlusPlus(reference.Model(arch), layer).Attribute(x, reference.Targets[arch]);
        Assert.Equal([x.size(0), 1, .. x.shape[2..]], maps.shape);
        using var expected = reference.Maps("gradcampp", arch, layer);
        // Grad-CAM++ weighs channels by squares and cubes of the gradients, which magnify float32 rounding: through
        // the modules, vgg7's passes run channels-last (Classifier.ChannelsLast), whose convolutions sum in another
        // order than PyTorch's NCHW ones, and features.2's map came within 1.1e-4 of its largest value (1e-4 held in
        // NCHW). The oneDNN program, which explanation passes take, runs Debian's oneDNN as python3-torch does: 4.3e-8.
        TestData.AssertClose(expected, maps, 2e-4, $"{arch} {layer}");
        Assert.True(TestData.Values(expected).Any(v => v > 0), $"{arch} {layer}: every map is 0, the comparison shows nothing");
    }
}
