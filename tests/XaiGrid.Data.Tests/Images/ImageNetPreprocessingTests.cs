using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

public class ImageNetPreprocessingTests
{
    // torchvision's ImageNet statistics, written out here rather than taken from the code under test.
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>(x - mean_c) / std_c element by element, in float32 as the transform computes it.</summary>
    private static float[] Normalized(Tensor chw)
    {
        var v = chw.data<float>().ToArray();
        int plane = v.Length / 3;
        return v.Select((x, i) => (x - Mean[i / plane]) / Std[i / plane]).ToArray();
    }

    private static Tensor Random(long h, long w)
    {
        using var generator = new torch.Generator(23);
        return torch.rand([3, h, w], generator: generator);
    }

    [Fact]
    public void A_constant_half_image_becomes_half_minus_mean_over_std_per_channel()
    {
        using var image = torch.full([3, 150, 150], 0.5);
        using var x = ImageNetPreprocessing.Apply(image);
        Assert.Equal([3L, 224, 224], x.shape);
        var v = x.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            float expected = (0.5f - Mean[c]) / Std[c];
            Assert.All(v.AsSpan(c * 224 * 224, 224 * 224).ToArray(), e => Assert.Equal(expected, e));
        }
    }

    /// <summary>Our bilinear resize of a (C, H, W) image, as the transform should apply it.</summary>
    private static Tensor Resized(Tensor image, long h, long w) =>
        torch.nn.functional.interpolate(image.unsqueeze(0), [h, w], mode: torch.InterpolationMode.Bilinear, align_corners: false).squeeze(0);

    [Fact]
    public void An_hmt_tile_is_resized_to_256_as_torch_interpolates_it_and_its_centre_224_normalized()
    {
        var file = HmtTestFixture.Files("02_STROMA")[0];
        using var dir = new TempDir();
        // python3-torch resizes Pillow's pixels of the same file.
        const string script = """
            import sys, numpy as np, torch
            import torch.nn.functional as F
            from PIL import Image
            x = torch.from_numpy(np.asarray(Image.open(sys.argv[1]).convert("RGB")).copy()).permute(2, 0, 1)[None].float() / 255
            np.save(sys.argv[2], F.interpolate(x, size=(256, 256), mode="bilinear", align_corners=False)[0].numpy())
            """;
        TestData.Python(script, file, dir.File("resized.npy"));
        using var scope = torch.NewDisposeScope();
        var tile = ImageFile.Read(file);
        Assert.Equal([3L, 150, 150], tile.shape);
        var resized = Resized(tile, 256, 256);
        // python3-torch's build rounds a few values differently in the last bits: measured 2^-23 (1.2e-7) at most,
        // two float32 steps below 1.
        double gap = resized.sub(Npy.load(dir.File("resized.npy"))).abs().max().item<float>();
        Assert.True(gap <= Math.Pow(2, -23), $"our bilinear resize is {gap} from torch's");

        var x = ImageNetPreprocessing.Apply(tile);
        Assert.Equal([3L, 224, 224], x.shape);
        // (256 - 224) / 2 = 16 on both axes.
        Assert.Equal(Normalized(resized.narrow(1, 16, 224).narrow(2, 16, 224)), x.data<float>().ToArray());
    }

    [Theory]
    // 100 x 200: the short side to 256 gives 256 x 512; the crop starts at (16, 144).
    [InlineData(100, 200, 256, 512, 16, 144)]
    [InlineData(200, 100, 512, 256, 144, 16)]
    // 256 * 203 / 100 = 519.68, truncated to 519; (519 - 224) / 2 = 147.5 rounds half to even: 148.
    [InlineData(100, 203, 256, 519, 16, 148)]
    public void A_non_square_image_keeps_its_aspect_and_is_center_cropped(int h, int w, int nh, int nw, int top, int left)
    {
        using var scope = torch.NewDisposeScope();
        var image = Random(h, w);
        var x = ImageNetPreprocessing.Apply(image);
        Assert.Equal([3L, 224, 224], x.shape);
        var centre = Resized(image, nh, nw).narrow(1, top, 224).narrow(2, left, 224);
        Assert.Equal(Normalized(centre), x.data<float>().ToArray());
    }

    [Fact]
    public void An_image_already_256_high_is_only_cropped_with_the_offset_rounded_half_to_even()
    {
        // 521 wide: (521 - 224) / 2 = 148.5, which torchvision's round() takes to 148.
        using var scope = torch.NewDisposeScope();
        var image = Random(256, 521);
        var x = ImageNetPreprocessing.Apply(image);
        Assert.Equal(Normalized(image.narrow(1, 16, 224).narrow(2, 148, 224)), x.data<float>().ToArray());
    }

    [Fact]
    public void Only_three_channel_images_are_taken()
    {
        using var gray = torch.zeros([1, 50, 50]);
        var e = Assert.Throws<ArgumentException>(() => ImageNetPreprocessing.Apply(gray));
        Assert.Contains("[1, 50, 50]", e.Message);
    }
}
