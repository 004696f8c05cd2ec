using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data;

/// <summary>
/// A dataset stored as two <c>.npy</c> files: images (N, H, W), (N, C, H, W) or sequences (N, C, L), uint8
/// (scaled to [0, 1]) or float; labels (N) integers.
/// </summary>
public static class NpyDataset
{
    public static LabeledDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        using var scope = torch.NewDisposeScope();
        var images = Npy.load(imagesPath);
        var labels = Npy.load(labelsPath);
        if (images.ndim is < 3 or > 4)
            throw new InvalidDataException($"{imagesPath}: expected images (N, H, W), (N, C, H, W) or (N, C, L), got [{string.Join(", ", images.shape)}]");
        if (labels.ndim != 1 || labels.size(0) != images.size(0))
            throw new InvalidDataException($"{labelsPath}: expected {images.size(0)} labels, got shape [{string.Join(", ", labels.shape)}]");
        if (images.size(0) == 0) throw new InvalidDataException($"{imagesPath}: holds no items (shape [{string.Join(", ", images.shape)}])");
        if (!torch.is_integral(labels.dtype))
            throw new InvalidDataException($"{labelsPath}: labels must be integers, got {labels.dtype}");

        // (N, H, W) images get their channel axis; (N, C, L) sequences and (N, C, H, W) images are kept.
        var inputs = images.ndim == 3 && images.dtype == ScalarType.Byte ? images.unsqueeze(1) : images;
        inputs = inputs.dtype == ScalarType.Byte ? inputs.to(ScalarType.Float32).div(255.0) : inputs.to(ScalarType.Float32);
        var y = labels.to(ScalarType.Int64);
        var values = y.data<long>().ToArray();
        if (values.Any(v => v < 0)) throw new InvalidDataException($"{labelsPath}: labels must be non-negative");
        int k = classNames?.Count ?? (int)values.Max() + 1;
        if (values.Any(v => v >= k)) throw new InvalidDataException($"{labelsPath}: a label is >= the {k} class names given");
        var names = classNames ?? Enumerable.Range(0, k).Select(i => i.ToString()).ToArray();
        return new LabeledDataset(scope.MoveToOuter(inputs.contiguous()), scope.MoveToOuter(y), names);
    }
}
