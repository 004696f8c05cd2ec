using XaiGrid.Explain.Attribution.Cam;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

public class GradCamTests(CamReference reference) : IClassFixture<CamReference>
{
    /// <summary>
    /// Grad-CAM written out in the test: a hook of our own on the layer, autograd for dS_c/dA, then the weights, the
    /// weighted sum, ReLU and the align_corners = false linear/bilinear resampling in plain double arithmetic.
    /// </summary>
    private static double[] HandGradCam(Classifier model, string layer, Tensor x, long[] targets)
    {
        double[] a, g;
        long[] shape;
        Tensor? kept = null;
        try
        {
            using (TestHooks.Forward(model.Layer(layer), (_, _, output) =>
                   {
                       kept = output.alias().DetachFromDisposeScope();
                       return null;
                   }))
            using (var scope = torch.NewDisposeScope())
            {
                var logits = model.call(x);
                var score = logits.gather(1, torch.tensor(targets).unsqueeze(1)).sum();
                var gradient = torch.autograd.grad([score], [kept!])[0]!;
                (a, g, shape) = (TestData.Values(kept!), TestData.Values(gradient), kept!.shape);
            }
        }
        finally
        {
            kept?.Dispose();
        }
        // A 1-D layer is a 2-D one of height 1, whose resampling along the height is the identity.
        long n = shape[0], k = shape[1], h = shape.Length == 4 ? shape[2] : 1, w = shape[^1];
        long outH = x.ndim == 4 ? x.size(2) : 1, outW = x.size((int)x.ndim - 1);
        var result = new double[n * outH * outW];
        for (long i = 0; i < n; i++)
        {
            var cam = new double[h * w];
            for (long c = 0; c < k; c++)
            {
                long offset = (i * k + c) * h * w;
                double weight = 0;
                for (long p = 0; p < h * w; p++) weight += g[offset + p];
                weight /= h * w;
                for (long p = 0; p < h * w; p++) cam[p] += weight * a[offset + p];
            }
            for (long p = 0; p < h * w; p++) cam[p] = Math.Max(cam[p], 0);
            for (long r = 0; r < outH; r++)
            {
                var (r0, r1, lr) = Source(r, h, outH);
                for (long s = 0; s < outW; s++)
                {
                    var (s0, s1, ls) = Source(s, w, outW);
                    result[(i * outH + r) * outW + s] =
                        (1 - lr) * ((1 - ls) * cam[r0 * w + s0] + ls * cam[r0 * w + s1]) + lr * ((1 - ls) * cam[r1 * w + s0] + ls * cam[r1 * w + s1]);
                }
            }
        }
        return result;
    }

    /// <summary>align_corners = false: output index d samples input coordinate (d + 1/2) in / out - 1/2, clamped at 0.</summary>
    private static (long lo, long hi, double lambda) Source(long d, long size, long outSize)
    {
        double src = Math.Max((d + 0.5) * size / outSize - 0.5, 0);
        long lo = (long)Math.Floor(src), hi = Math.Min(lo + 1, size - 1);
        return (lo, hi, src - lo);
    }

    [Theory]
    [MemberData(nameof(CamReference.LayerData), MemberType = typeof(CamReference))]
    public void EqualsAGradCamWrittenOutByHand(string arch, string layer)
    {
        var model = reference.Model(arch);
        var x = reference.Inputs(arch);
        var targets = reference.Targets[arch];
        using var maps = new GradCam(model, layer).Attribute(x, targets);
        Assert.Equal([x.size(0), 1, .. x.shape[2..]], maps.shape);
        var expected = HandGradCam(model, layer, x, targets);
        using var want = torch.tensor(expected, maps.shape);
        TestData.AssertClose(want, maps, 1e-5, $"{arch} {layer}");
        Assert.True(expected.Any(v => v > 0), $"{arch} {layer}: every map is 0, the comparison shows nothing");
    }

    [Theory]
    [MemberData(nameof(CamReference.LayerData), MemberType = typeof(CamReference))]
    public void EqualsPyTorchsGradCam(string arch, string layer)
    {
        var x = reference.Inputs(arch);
        using var maps = new GradCam(reference.Model(arch), layer).Attribute(x, reference.Targets[arch]);
        using var expected = reference.Maps("gradcam", arch, layer);
        TestData.AssertClose(expected, maps, 1e-4, $"{arch} {layer}");
        Assert.True(TestData.Values(expected).Any(v => v > 0), $"{arch} {layer}: every map is 0, the comparison shows nothing");
    }

    [Fact]
    public void MatchesAClosedFormOnATinyNetwork()
    {
        // A_0 = x, A_1 = -2x, dS_0/dA_0 = x/2, dS_0/dA_1 = -2x: w_0 = mean(x)/2 = 5/16, w_1 = -2 mean(x) = -5/4 (mean x = 5/8),
        // so the map is ReLU(5/16 x + 5/2 x) = ReLU(45/16 x).
        using var model = new SquareModel(4);
        using var x = torch.tensor(new float[] { 1, 2, -1, 0.5f }, [1, 1, 4]);
        using var map = new GradCam(model, "conv").Attribute(x, [0]);
        using var expected = torch.tensor(new[] { 1, 2, 0, 0.5 }.Select(v => 45.0 / 16 * v).ToArray(), [1, 1, 4]);
        TestData.AssertClose(expected, map, 1e-6, "closed form");
    }

    [Fact]
    public void RanksTheOnlyRegionTheModelSeesFirst()
    {
        using var model = new RegionModel();
        using var g = new torch.Generator(1);
        using var x = torch.rand([3, 3, RegionModel.Side, RegionModel.Side], generator: g) + 0.1;
        using var maps = new GradCam(model, "conv").Attribute(x, [0, 0, 0]);
        Assert.Equal([3L, 1, RegionModel.Side, RegionModel.Side], maps.shape);
        for (int i = 0; i < 3; i++)
        {
            using var map = maps[i];
            Assert.All(TestData.TopPositions(map, 40), p => Assert.True(RegionModel.Inside(p), $"map {i}: top position {p} is outside the region"));
        }
    }

    [Fact]
    public void WorksUnderNoGradAndGivesTheSameMaps()
    {
        var model = reference.Model("mnist1d-cnn");
        var x = reference.Inputs("mnist1d-cnn");
        var cam = new GradCam(model, "conv3") { MaxBatch = 4 };
        using var maps = cam.Attribute(x, reference.Targets["mnist1d-cnn"]);
        using var noGrad = torch.no_grad();
        using var again = cam.Attribute(x, reference.Targets["mnist1d-cnn"]);
        TestData.AssertClose(maps, again, 1e-6, "under no_grad, in chunks of 4");
    }

    [Fact]
    public void BadLayersAreNamed()
    {
        var model = reference.Model("mnist1d-cnn");
        var unknown = Assert.Throws<ArgumentException>(() => new GradCam(model, "conv9"));
        Assert.Contains("conv9", unknown.Message);
        Assert.Contains("conv3", unknown.Message);
        var flat = Assert.Throws<ArgumentException>(() => new GradCam(model, "linear").Attribute(reference.Inputs("mnist1d-cnn")));
        Assert.Contains("'linear'", flat.Message);
        Assert.Contains("[6, 10]", flat.Message);
    }
}
