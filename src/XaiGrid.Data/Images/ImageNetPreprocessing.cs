using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// torchvision's ImageNet evaluation transform, for vgg16, on a tensor: resize the shorter side to 256 (bilinear,
/// <c>F.interpolate</c> with align_corners=False and no antialiasing), center-crop 224 x 224, then normalize with
/// ImageNet's channel mean and std.
/// </summary>
public static class ImageNetPreprocessing
{
    public const int ResizeTo = 256;
    public const int CropTo = 224;

    /// <summary>One CHW RGB image in [0, 1] to a normalized 3 x 224 x 224 tensor.</summary>
    public static Tensor Apply(Tensor image)
    {
        if (image.ndim != 3 || image.size(0) != 3)
            throw new ArgumentException($"ImageNet preprocessing takes a 3 x H x W RGB image, got [{string.Join(", ", image.shape)}]");
        using var scope = torch.NewDisposeScope();
        long h = image.size(1), w = image.size(2);
        // torchvision truncates the long side: int(size * long / short).
        var (nh, nw) = h <= w ? (ResizeTo, (int)(ResizeTo * w / h)) : ((int)(ResizeTo * h / w), ResizeTo);
        var resized = ImageResize.Bilinear(image, nh, nw);
        // torchvision's center crop rounds the offsets: int(round((size - crop) / 2)).
        int top = (int)Math.Round((nh - CropTo) / 2.0), left = (int)Math.Round((nw - CropTo) / 2.0);
        var cropped = resized.narrow(1, top, CropTo).narrow(2, left, CropTo).unsqueeze(0);
        return scope.MoveToOuter(ChannelNormalization.ImageNet.Apply(cropped).squeeze(0));
    }
}
