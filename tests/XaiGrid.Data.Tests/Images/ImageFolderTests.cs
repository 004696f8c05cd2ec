using XaiGrid.Torch;

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
        using var expected = torch.vision.io.read_image(file);
        using var item = hmt.Data.Inputs[62 * label + indexInClass];
        TestData.AssertEqual(expected, item);
    }

    [Fact]
    public void Hmt_test_resized_to_64_has_each_file_resized()
    {
        using var data = ImageFolder.Load(HmtTestFixture.Root, new ImageFolderOptions(64, 64));
        Assert.Equal([496L, 3, 64, 64], data.Inputs.shape);
        using var scope = torch.NewDisposeScope();
        var file = HmtTestFixture.Files(HmtClasses[5])[17];
        TestData.AssertEqual(torch.vision.resize(torch.vision.io.read_image(file), 64, 64), data.Inputs[5 * 62 + 17]);
    }

    // Writes an 8-bit PNG whose values are (seed + 37 i) mod 256, row-major over (C, H, W).
    private static byte[] WritePng(string path, int channels, int height, int width, int seed)
    {
        var bytes = Enumerable.Range(0, channels * height * width).Select(i => (byte)((seed + 37 * i) % 256)).ToArray();
        using var image = torch.tensor(bytes, [channels, height, width]);
        torch.vision.io.write_png(image, path);
        return bytes;
    }

    [Fact]
    public void Png_folders_load_as_their_bytes_over_255_in_sorted_class_and_file_order()
    {
        using var dir = new TempDir();
        var b1 = WritePng(dir.File("b", "2.png"), 3, 4, 6, 11);
        var b0 = WritePng(dir.File("b", "1.png"), 3, 4, 6, 5);
        var a0 = WritePng(dir.File("a", "x.png"), 3, 4, 6, 200);
        File.WriteAllText(dir.File("a", "notes.txt"), "not an image");
        using var data = ImageFolder.Load(dir.Path);
        Assert.Equal(["a", "b"], data.ClassNames);
        Assert.Equal([0L, 1, 1], data.LabelArray());
        Assert.Equal([3L, 3, 4, 6], data.Inputs.shape);
        Assert.Equal(a0.Concat(b0).Concat(b1).Select(v => v / 255f), data.Inputs.data<float>());
    }

    [Fact]
    public void Grayscale_reads_one_channel()
    {
        using var dir = new TempDir();
        var gray = WritePng(dir.File("only", "g.png"), 1, 5, 3, 1);
        using var data = ImageFolder.Load(dir.Path, new ImageFolderOptions(Grayscale: true));
        Assert.Equal([1L, 1, 5, 3], data.Inputs.shape);
        Assert.Equal(gray.Select(v => v / 255f), data.Inputs.data<float>());
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
        WritePng(dir.File("cats", "1.png"), 3, 4, 4, 0);
        File.WriteAllText(dir.File("dogs", "readme.txt"), "no images here");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "dogs"), e.Message);
    }

    [Fact]
    public void A_corrupt_image_is_named()
    {
        using var dir = new TempDir();
        WritePng(dir.File("cats", "1.png"), 3, 4, 4, 0);
        var corrupt = dir.File("cats", "2.png");
        File.WriteAllBytes(corrupt, Enumerable.Range(0, 300).Select(i => (byte)(i * 7919 % 251)).ToArray());
        var e = Assert.Throws<TorchException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains(corrupt, e.Message);
    }

    [Fact]
    public void Mixed_sizes_are_refused_naming_both_files_and_load_with_a_resize()
    {
        using var dir = new TempDir();
        string small = dir.File("a", "small.png"), wide = dir.File("b", "wide.png");
        WritePng(small, 3, 8, 8, 3);
        WritePng(wide, 3, 8, 10, 4);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path));
        Assert.Contains(small, e.Message);
        Assert.Contains(wide, e.Message);

        using var data = ImageFolder.Load(dir.Path, new ImageFolderOptions(6, 7));
        Assert.Equal([2L, 3, 6, 7], data.Inputs.shape);
        using var scope = torch.NewDisposeScope();
        TestData.AssertEqual(torch.vision.resize(torch.vision.io.read_image(wide), 6, 7), data.Inputs[1]);
    }

    [Fact]
    public void A_resize_needs_both_sizes()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => ImageFolder.Load(dir.Path, new ImageFolderOptions(Height: 32)));
        Assert.Contains("height and width", e.Message);
    }
}
