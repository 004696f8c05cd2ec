using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>How images of a folder dataset are read: a fixed size (or none: all must match) and channels.</summary>
public sealed record ImageFolderOptions(int? Height = null, int? Width = null, bool Grayscale = false)
{
    public bool Resizes => Height is not null || Width is not null;
}

/// <summary>
/// A dataset of image files, one subfolder per class (class ids follow the sorted folder names, ordinal), with
/// PNG, TIFF, JPEG and BMP files read by <see cref="ImageFile"/> as float32 CHW in [0, 1] and, when the options
/// give a size, resized bilinearly as tensors (<c>F.interpolate</c>, align_corners=False). A file that is not a
/// readable image stops the load with an error naming it.
/// </summary>
public static class ImageFolder
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp" };

    public static LabeledDataset Load(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Resizes && (options.Height is not > 0 || options.Width is not > 0))
            throw new ArgumentException($"resize needs both a positive height and width, got {options.Height}x{options.Width}");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder not found: {root}");
        var classDirs = Directory.GetDirectories(root).OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0) throw new InvalidDataException($"image folder {root} has no class subfolders");

        var files = new List<(string path, int label)>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.GetFiles(classDirs[c]).Where(f => Extensions.Contains(Path.GetExtension(f)))
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"class folder {classDirs[c]} holds no {ImageFile.Formats} image");
            files.AddRange(images.Select(f => (f, c)));
        }

        var mode = options.Grayscale ? ImageReadMode.Gray : ImageReadMode.RGB;
        long[]? itemShape = null;
        string? firstPath = null;
        var pixels = Array.Empty<float>();
        for (int i = 0; i < files.Count; i++)
        {
            var (values, shape) = Read(files[i].path, mode, options);
            if (itemShape is null)
            {
                itemShape = shape;
                firstPath = files[i].path;
                pixels = new float[files.Count * shape.Aggregate(1L, (a, b) => a * b)];
            }
            else if (!shape.SequenceEqual(itemShape))
            {
                throw new InvalidDataException(
                    $"image {files[i].path} is [{string.Join(", ", shape)}] but {firstPath} is [{string.Join(", ", itemShape)}]; " +
                    "set a resize height and width to load images of mixed sizes");
            }
            values.CopyTo(pixels, (long)i * values.Length);
        }

        var inputs = torch.tensor(pixels, [files.Count, .. itemShape!]);
        var labels = torch.tensor(files.Select(f => (long)f.label).ToArray());
        return new LabeledDataset(inputs, labels, classDirs.Select(d => Path.GetFileName(d)!).ToArray());
    }

    /// <summary>One file's values (C, H, W), resized when the options say so.</summary>
    private static (float[] Values, long[] Shape) Read(string path, ImageReadMode mode, ImageFolderOptions options)
    {
        var image = ImageFile.Decode(path, mode);
        if (!options.Resizes) return (image.Values, image.Shape);
        using var scope = torch.NewDisposeScope();
        var resized = ImageResize.Bilinear(image.ToTensor(), options.Height!.Value, options.Width!.Value);
        return (resized.data<float>().ToArray(), resized.shape);
    }
}
