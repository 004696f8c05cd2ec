using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

public sealed class HmtTestFixture : IDisposable
{
    public static string Root => TestData.File("hmt", "HMT_test");

    public LabeledDataset Data { get; } = ImageFolder.Load(Root);

    /// <summary>The files of every class folder in ordinal order, listed here without ImageFolder.</summary>
    public static string[] Files(string className) =>
        Directory.GetFiles(Path.Combine(Root, className), "*.tif").Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Data.Dispose();
}

public class ImageFolderTests(HmtTestFixture hmt) : IClassFixture<HmtTestFixture>
{
    private static readonly string[] HmtClasses =
        ["01_TUMOR", "02_STROMA", "03_COMPLEX", "04_LYMPHO", "05_DEBRIS", "06_MUCOSA", "07_ADIPOSE", "08_EMPTY"];

    [Fact]
    public void Hmt_test_has_496_tiles_in_8_classes_of_62()
    {
        var data = hmt.Data;
        Assert.Equal([496L, 3, 150, 150], data.Inputs.shape);
        Assert.Equal(HmtClasses, data.ClassNames);
        // Items follow the class folders, 62 each.
        Assert.Equal(Enumerable.Range(0, 8).SelectMany(c => Enumerable.Repeat((long)c, 62)), data.LabelArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 5)]
    [InlineData(7, 61)]
    public void An_item_is_its_files_pixels(int label, int indexInClass)
    {
        var file = HmtTestFixture.Files(HmtClasses[label])[indexInClass];
        using var expected = ImageFile.Read(file);
        using var item = hmt.Data.Inputs[62 * label + indexInClass];
        TestData.AssertEqual(expected, item);
    }

    [Fact]
    public void Hmt_test_resized_to_64_has_each_file_resized_as_torch_interpolates_pillows_pixels()
    {
        using var data = ImageFolder.Load(HmtTestFixture.Root, new ImageFolderOptions(64, 64));
        Assert.Equal([496L, 3, 64, 64], data.Inputs.shape);
        using var dir = new TempDir();
        int[] items = [0, 5 * 62 + 17, 495];
        var files = items.Select(i => HmtTestFixture.Files(HmtClasses[i / 62])[i % 62]).ToArray();
        const string script = """
            import sys, numpy as np, torch
            import torch.nn.functional as F
            from PIL import Image
            x = torch.stack([torch.from_numpy(np.asarray(Image.open(f).convert("RGB")).copy()).permute(2, 0, 1) for f in sys.argv[2:]])
            y = F.interpolate(x.float() / 255, size=(64, 64), mode="bilinear", align_corners=False)
            np.save(sys.argv[1], y.numpy())
            """;
        TestData.Python(script, [dir.File("resized.npy"), .. files]);
        using var scope = torch.NewDisposeScope();
        var expected = Npy.load(dir.File("resized.npy"));
        // python3-torch is 1.13, whose bilinear kernel libtorch 2.10 no longer matches bit for bit: a quarter of the float32
        // values differ by 1 or 2 ulp (the first tile's element 7 is 0.32210574 in 1.13 and in float64 rounded to float32,
        // 0.32210577 in 2.10; its largest gap is 1.19e-7 at 0.7634). Two float32 epsilons bound that on [0, 1].
        for (int k = 0; k < items.Length; k++) TestData.AssertClose(expected[k], data.Inputs[items[k]], 2 * 1.1920929e-7);
    }

    /// <summary>
    /// Writes 8-bit PNGs with Pillow: image k holds (seed + 37 i) mod 256 at position i, row-major over (C, H, W),
    /// gray when C = 1. Returns each image's values.
    /// </summary>
    private static byte[][] WritePngs(params (string Path, int Channels, int Height, int Width, int Seed)[] images)
    {
        const string script = """
            import sys, numpy as np
            from PIL import Image
            for spec in sys.argv[1:]:
                path, c, h, w, seed = spec.split("|")
                c, h, w, seed = int(c), int(h), int(w), int(seed)
                chw = ((seed + 37 * np.arange(c * h * w)) % 256).astype(np.uint8).reshape(c, h, w)
                Image.fromarray(chw[0] if c == 1 else chw.transpose(1, 2, 0)).save(path)
            """;
        TestData.Python(script, images.Select(i => $"{i.Path}|{i.Channels}|{i.Height}|{i.Width}|{i.Seed}").ToArray());
        return images.Select(i => Enumerable.Range(0, i.Channels * i.Height * i.Width).Select(v => (byte)((i.Seed + 37 * v) % 256)).ToArray())
            .ToArray();
    }

    [Fact]
    public void Png_folders_load_as_their_bytes_over_255_in_sorted_class_and_file_order()
    {
        using var dir = new TempDir();
        var written = WritePngs((dir.File("b", "2.png"), 3, 4, 6, 11), (dir.File("b", "1.png"), 3, 4, 6, 5), (dir.File("a", "x.png"), 3, 4, 6, 200));
        var (b1, b0, a0) = (written[0], written[1], written[2]);
        File.WriteAllText(dir.File("a", "notes.txt"), "not an image");
        using var data = ImageFolder.Load(dir.Path);
        Assert.Equal(["a", "b"], data.ClassNames);
        Assert.Equal([0L, 1, 1], data.LabelArray());
        Assert.Equal([3L, 3, 4, 6], data.Inputs.shape);
        Assert.Equal(a0.Concat(b0).Concat(b1).Select(v => v / 255f), data.Inputs.data<float>().ToArray());
    }

    [Fact]
    public void Grayscale_reads_one_channel()
    {
        using var dir = new TempDir();
        var gray = WritePngs((dir.File("only", "g.png"), 1, 5, 3, 1))[0];
        using var data = ImageFolder.Load(dir.Path, new ImageFolderOptions(Grayscale: true));
        Assert.Equal([1L, 1, 5, 3], data.Inputs.shape);
        Assert.Equal(gray.Select(v => v / 255f), data.Inputs.data<float>().ToArray());
    }

    [Fact]
    public void A_missing_root_is_named()
    {
        using var dir = new TempDir();
        var root = Path.Combine(dir.Path, "nowhere");
        var e = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(root));
        Assert.Contains(root, e.Message);
    }

    [Fact]
    public void A_class_folder_without_images_is_named()
    {
        using var dir = new TempDir();
        WritePngs((dir.File("cats", "1.png"), 3, 4, 4, 0));
        File.WriteAllText(dir.File("dogs", "readme.txt"), "no images here");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "dogs"), e.Message);
    }

    [Fact]
    public void A_bad_image_among_good_ones_is_named_and_nothing_is_loaded()
    {
        using var dir = new TempDir();
        WritePngs((dir.File("cats", "1.png"), 3, 4, 4, 0), (dir.File("cats", "3.png"), 3, 4, 4, 1), (dir.File("dogs", "1.png"), 3, 4, 4, 2));
        // A good PNG cut short, between good files of its class and before the next class.
        var truncated = dir.File("cats", "2.png");
        var whole = File.ReadAllBytes(dir.File("cats", "1.png"));
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.StartsWith(truncated + ":", e.Message);
    }

    [Fact]
    public void Mixed_sizes_are_refused_naming_both_files_and_load_with_a_resize()
    {
        using var dir = new TempDir();
        string small = dir.File("a", "small.png"), wide = dir.File("b", "wide.png");
        WritePngs((small, 3, 8, 8, 3), (wide, 3, 8, 10, 4));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains(small, e.Message);
        Assert.Contains(wide, e.Message);

        using var data = ImageFolder.Load(dir.Path, new ImageFolderOptions(6, 7));
        Assert.Equal([2L, 3, 6, 7], data.Inputs.shape);
        using var scope = torch.NewDisposeScope();
        var image = ImageFile.Read(wide).unsqueeze(0);
        TestData.AssertEqual(torch.nn.functional.interpolate(image, [6, 7], mode: torch.InterpolationMode.Bilinear, align_corners: false)[0], data.Inputs[1]);
    }

    [Fact]
    public void A_resize_needs_both_sizes()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => ImageFolder.Load(dir.Path, new ImageFolderOptions(Height: 32)));
        Assert.Contains("height and width", e.Message);
    }
}
