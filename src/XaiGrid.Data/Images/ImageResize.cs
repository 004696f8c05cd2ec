using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace XaiGrid.Data;

/// <summary>Resizing of (C, H, W) image tensors, as torchvision's tensor transforms do it.</summary>
internal static class ImageResize
{
    /// <summary>
    /// Bilinear with half-pixel centres (<c>F.interpolate(x, size, mode="bilinear", align_corners=False)</c>, which is
    /// torchvision's <c>resize</c> on a tensor with <c>antialias=False</c>); the result is float32.
    /// </summary>
    public static Tensor Bilinear(Tensor image, long height, long width)
    {
        using var batch = image.unsqueeze(0);
        using var resized = functional.interpolate(batch, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.squeeze(0);
    }
}
