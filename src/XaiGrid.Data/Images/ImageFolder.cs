using XaiGrid.Torch;

namespace XaiGrid.Data;

/// <summary>How images of a folder dataset are read: a fixed size (or none: all must match) and channels.</summary>
public sealed record ImageFolderOptions(int? Height = null, int? Width = null, bool Grayscale = false)
{
    public bool Resizes => Height is not null || Width is not null;
}

/// <summary>
/// A dataset of image files, one subfolder per class (class ids follow the sorted folder names, ordinal),
/// with PNG, TIFF and JPEG files read through OpenCV as float32 CHW in [0, 1].
/// </summary>
public static class ImageFolder
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".tif", ".tiff", ".jpg", ".jpeg" };

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
                throw new InvalidDataException($"class folder {classDirs[c]} holds no PNG, TIFF or JPEG image");
            files.AddRange(images.Select(f => (f, c)));
        }

        var mode = options.Grayscale ? torch.vision.io.ImageReadMode.GRAY : torch.vision.io.ImageReadMode.RGB;
        long[]? itemShape = null;
        string? firstPath = null;
        var pixels = Array.Empty<float>();
        for (int i = 0; i < files.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            var image = torch.vision.io.read_image(files[i].path, mode);
            if (options.Resizes) image = torch.vision.resize(image, options.Height!.Value, options.Width!.Value);
            var shape = image.shape;
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
            int size = pixels.Length / files.Count;
            image.CopyTo(pixels.AsSpan(i * size, size));
        }

        var inputs = torch.tensor(pixels, [files.Count, .. itemShape!]);
        var labels = torch.tensor(files.Select(f => (long)f.label).ToArray());
        return new LabeledDataset(inputs, labels, classDirs.Select(d => Path.GetFileName(d)!).ToArray());
    }
}
