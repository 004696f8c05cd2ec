using XaiGrid.Torch;
using static XaiGrid.Torch.Tests.IoTestSupport;
using static XaiGrid.Torch.torch.vision;
using static XaiGrid.Torch.torch.vision.io;

namespace XaiGrid.Torch.Tests;

/// <summary>
/// Image files, resizing, colormaps and overlays through OpenCV, checked against decoders written from the
/// TIFF and PNG specifications, hand-computed values and published colormap endpoints; HDF5 reads of DeepLoc.
/// </summary>
public sealed class ImageTests : IDisposable
{
    private readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    private static string Hmt => Path.Combine(DataDir, "hmt");

    private static IEnumerable<string> HmtTiles() =>
        new[] { "HMT_test", "HMT_train" }.SelectMany(split => Directory.EnumerateFiles(Path.Combine(Hmt, split), "*.tif", SearchOption.AllDirectories));

    [Fact]
    public void EveryHmtTileReadsAs3x150x150InUnitRange()
    {
        var tiles = HmtTiles().ToList();
        Assert.Equal(896, tiles.Count);
        foreach (var path in tiles)
        {
            using var scope = torch.NewDisposeScope();
            var image = read_image(path);
            Assert.Equal(torch.float32, image.dtype);
            Assert.Equal([3L, 150, 150], image.shape);
            double lo = image.min().item<double>(), hi = image.max().item<double>();
            Assert.True(lo >= 0 && hi <= 1 && hi > lo, $"{path}: values in [{lo}, {hi}]");
        }
    }

    [Fact]
    public void TilesMatchTheirPackBitsStrips()
    {
        // The first tile of every class folder of the test split.
        var tiles = Directory.GetDirectories(Path.Combine(Hmt, "HMT_test")).Order()
            .Select(d => Directory.GetFiles(d, "*.tif").Order().First()).ToList();
        Assert.Equal(8, tiles.Count);
        foreach (var path in tiles)
        {
            var (h, w, rgb) = ReferenceDecoders.DecodeTiff(path);
            Assert.Equal((150, 150), (h, w));
            using var scope = torch.NewDisposeScope();
            var chw = read_image(path).data<float>();
            double worst = 0;
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < h * w; p++)
                    worst = Math.Max(worst, Math.Abs(chw[c * h * w + p] * 255.0 - rgb[p * 3 + c]));
            Assert.True(worst < 1e-3, $"{path}: largest difference {worst} / 255 from the decoded strips");
        }
    }

    [Fact]
    public void PngWriteThenReadIsExactFor8BitValues()
    {
        var rng = new Random(4);
        const int h = 17, w = 23;
        var k = new byte[3 * h * w];
        rng.NextBytes(k);
        using var scope = torch.NewDisposeScope();
        var image = torch.tensor(k, [3, h, w]).to(torch.float32).div(255);
        string path = tmp.File("rgb.png");
        write_png(image, path);

        var png = ReferenceDecoders.DecodePng(path);
        Assert.Equal((h, w, 2), (png.Height, png.Width, png.ColorType));
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < h * w; p++)
                Assert.Equal(k[c * h * w + p], png.Pixels[p * 3 + c]);

        // Read back as exactly k / 255 in float, the value PyTorch's ToTensor gives.
        var back = read_image(path);
        Assert.Equal([3L, h, w], back.shape);
        Assert.Equal(k.Select(v => v / 255f), back.data<float>());

        // A uint8 tensor is written as it is.
        string again = tmp.File("from-uint8.png");
        write_png(torch.tensor(k, [3, h, w]), again);
        Assert.Equal(png.Pixels, ReferenceDecoders.DecodePng(again).Pixels);
    }

    [Fact]
    public void GrayImagesStayOneChannel()
    {
        using var scope = torch.NewDisposeScope();
        var k = Enumerable.Range(0, 99).Select(i => (byte)(i * 37 % 256)).ToArray();
        var gray = torch.tensor(k, [1, 9, 11]).to(torch.float32).div(255);
        foreach (var (name, image) in new[] { ("chw.png", gray), ("hw.png", gray.squeeze(0)) })
        {
            string path = tmp.File(name);
            write_png(image, path);
            var png = ReferenceDecoders.DecodePng(path);
            Assert.Equal((9, 11, 0), (png.Height, png.Width, png.ColorType));
            Assert.Equal(k, png.Pixels);

            var back = read_image(path, ImageReadMode.UNCHANGED);
            Assert.Equal([1L, 9, 11], back.shape);
            Assert.Equal(k.Select(v => v / 255f), back.data<float>());
            var rgb = read_image(path);
            Assert.Equal([3L, 9, 11], rgb.shape);
            for (int c = 0; c < 3; c++) Assert.Equal(k.Select(v => v / 255f), rgb[c].data<float>());
        }
    }

    [Fact]
    public void GrayModeWeighsRedGreenBlueAsOpenCvDocuments()
    {
        using var scope = torch.NewDisposeScope();
        // Pure red, green and blue pixels: gray = 0.299 R + 0.587 G + 0.114 B, rounded to 8 bits.
        var rgb = torch.eye(3).reshape(3, 1, 3);
        string path = tmp.File("primaries.png");
        write_png(rgb, path);
        var png = ReferenceDecoders.DecodePng(path);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255 }, png.Pixels);

        var gray = read_image(path, ImageReadMode.GRAY);
        Assert.Equal([1L, 1, 3], gray.shape);
        var v = gray.data<float>();
        double[] weights = [0.299, 0.587, 0.114];
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(v[i] - weights[i]) <= 0.5 / 255 + 1e-6, $"gray of primary {i} is {v[i]}");
    }

    [Fact]
    public void ResizeMatchesHandComputedValues()
    {
        using var scope = torch.NewDisposeScope();
        // Bilinear with half-pixel centres: source x = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped.
        var row = torch.tensor(new[] { 0f, 1f }, [1, 1, 2]);
        var up = resize(row, 1, 4);
        Assert.Equal([1L, 1, 4], up.shape);
        AssertClose([0, 0.25, 0.75, 1], up.data<float>());

        var square = torch.tensor(new[] { 1f, 2f, 3f, 4f }, [2, 2]);
        var nearest = resize(square, 4, 4, InterpolationMode.Nearest);
        Assert.Equal([4L, 4], nearest.shape);
        Assert.Equal([1f, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], nearest.data<float>());

        // Area averaging of 2x2 blocks.
        var block = torch.arange(16, torch.float32).reshape(1, 4, 4);
        var area = resize(block, 2, 2, InterpolationMode.Area);
        AssertClose([(0 + 1 + 4 + 5) / 4.0, (2 + 3 + 6 + 7) / 4.0, (8 + 9 + 12 + 13) / 4.0, (10 + 11 + 14 + 15) / 4.0], area.data<float>());

        var rgb = torch.rand([3, 5, 7]);
        Assert.Equal([3L, 10, 3], resize(rgb, 10, 3, InterpolationMode.Bicubic).shape);
        Assert.Throws<ArgumentException>(() => resize(rgb, 0, 3));
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>The RGB colour a colormap gives one value.</summary>
    private static float[] ColorOf(double value, Colormap map)
    {
        using var scope = torch.NewDisposeScope();
        var c = apply_colormap(torch.full([1, 1], value), map);
        Assert.Equal([3L, 1, 1], c.shape);
        return c.data<float>();
    }

    [Fact]
    public void ColormapsHaveTheirPublishedEndpoints()
    {
        using var scope = torch.NewDisposeScope();
        var map = torch.rand([5, 7]);
        var colored = apply_colormap(map, Colormap.Viridis);
        Assert.Equal([3L, 5, 7], colored.shape);
        Assert.Equal(torch.float32, colored.dtype);

        // Jet runs from dark blue to dark red; viridis and inferno endpoints as in matplotlib's tables.
        AssertClose([0, 0, 0.5], ColorOf(0, Colormap.Jet), 0.02);
        AssertClose([0.5, 0, 0], ColorOf(1, Colormap.Jet), 0.02);
        AssertClose([0.267, 0.005, 0.329], ColorOf(0, Colormap.Viridis), 0.02);
        AssertClose([0.993, 0.906, 0.144], ColorOf(1, Colormap.Viridis), 0.02);
        AssertClose([0.001, 0.000, 0.014], ColorOf(0, Colormap.Inferno), 0.02);
        AssertClose([0.988, 0.998, 0.645], ColorOf(1, Colormap.Inferno), 0.02);

        // Values outside [0, 1] are clamped.
        Assert.Equal(ColorOf(0, Colormap.Jet), ColorOf(-3, Colormap.Jet));
        Assert.Equal(ColorOf(1, Colormap.Jet), ColorOf(7, Colormap.Jet));
        Assert.Throws<ArgumentException>(() => apply_colormap(torch.zeros([1, 2, 2])));
    }

    [Fact]
    public void OverlayNormalizesTheHeatAndBlends()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.full([1, 2, 2], 0.5);
        var heat = torch.tensor(new[] { -4f, 1f, 2f, 6f }, [2, 2]);
        const double alpha = 0.3;
        var blended = overlay(image, heat, alpha);
        Assert.Equal([3L, 2, 2], blended.shape);
        var v = blended.data<float>();
        // The minimum heat (pixel 0) maps to jet(0) = dark blue, the maximum (pixel 3) to jet(1) = dark red.
        AssertClose([0.35, 0.35, 0.35 + 0.3 * 0.5], [v[0], v[4], v[8]], 0.01);
        AssertClose([0.35 + 0.3 * 0.5, 0.35, 0.35], [v[3], v[7], v[11]], 0.01);

        // The map is stretched by its own range: an affine change of the heat changes nothing.
        var shifted = overlay(image, heat.mul(7).add(3), alpha).data<float>();
        AssertClose(v.Select(x => (double)x).ToArray(), shifted, alpha / 255 + 1e-6);

        // alpha 0 leaves the image; a constant heat colours everything as the low end.
        AssertClose(Enumerable.Repeat(0.5, 12).ToArray(), overlay(image, heat, 0).data<float>());
        var flat = overlay(image, torch.full([2, 2], 3.0), 1);
        var low = ColorOf(0, Colormap.Jet);
        AssertClose(low.SelectMany(c => Enumerable.Repeat((double)c, 4)).ToArray(), flat.data<float>());

        // A smaller heat map (as Grad-CAM gives) is resized to the image.
        Assert.Equal([3L, 8, 6], overlay(torch.rand([3, 8, 6]), torch.rand([1, 2, 3]), 0.5, Colormap.Viridis).shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => overlay(image, heat, 1.5));
        Assert.Throws<ArgumentException>(() => overlay(image, torch.tensor(new[] { float.NaN, 0, 0, 0 }, [2, 2])));
    }

    [Fact]
    public void MissingAndCorruptFilesNameThePath()
    {
        string missing = tmp.File("absent.png");
        var e = Assert.Throws<FileNotFoundException>(() => read_image(missing));
        Assert.Equal($"image file not found: {missing}", e.Message);

        string corrupt = tmp.File("corrupt.png");
        File.WriteAllBytes(corrupt, Enumerable.Range(0, 300).Select(i => (byte)(i * 91 % 256)).ToArray());
        var e2 = Assert.Throws<TorchException>(() => read_image(corrupt));
        Assert.Contains($"cannot decode image '{corrupt}'", e2.Message);

        using var scope = torch.NewDisposeScope();
        var four = torch.zeros([4, 5, 5]);
        var e3 = Assert.Throws<ArgumentException>(() => write_png(four, tmp.File("four.png")));
        Assert.Contains("got shape [4, 5, 5]", e3.Message);
        Assert.Throws<ArgumentException>(() => write_png(torch.zeros([3, 5, 5]), tmp.File("image.jpg")));
        var e4 = Assert.Throws<TorchException>(() => write_png(torch.zeros([3, 5, 5]), Path.Combine(tmp.Path, "no-such-dir", "x.png")));
        Assert.Contains("no-such-dir", e4.Message);
    }

    private static string DeepLoc => Path.Combine(DataDir, "deeploc", "Schuldiner_test_set.hdf5");

    [Fact]
    public void Hdf5ReadsDeepLocDatasets()
    {
        using var scope = torch.NewDisposeScope();
        var data = torch.hdf5.read(DeepLoc, "data1");
        Assert.Equal(torch.float64, data.dtype);
        Assert.Equal([36L, 8192], data.shape);
        Assert.True(data.isfinite().all().item<bool>());
        Assert.True(data.min().item<double>() >= 0, "raw intensities are non-negative");
        Assert.True(data.max().item<double>() > 0);

        var labels = torch.hdf5.read(DeepLoc, "Index1");
        Assert.Equal(torch.uint8, labels.dtype);
        Assert.Equal([36L, 11], labels.shape);
        Assert.True(labels.le(1).all().item<bool>());
        Assert.Equal(Enumerable.Repeat(1L, 36), labels.sum(1).data<long>());

        // h5py is not installed; the independent check is that the file holds these exact element bytes
        // contiguously (the datasets are stored uncompressed, row-major).
        var file = File.ReadAllBytes(DeepLoc);
        foreach (var t in new[] { data, labels })
        {
            var bytes = t.dtype == torch.float64
                ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.data<double>().AsSpan()).ToArray()
                : t.data<byte>();
            int at = file.AsSpan().IndexOf(bytes);
            Assert.True(at > 0, $"{t.dtype} dataset bytes not found in the file");
        }
    }

    [Fact]
    public void Hdf5ErrorsNameFileAndDataset()
    {
        string missing = tmp.File("absent.hdf5");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => torch.hdf5.read(missing, "data1")).Message);
        var e = Assert.Throws<TorchException>(() => torch.hdf5.read(DeepLoc, "nope"));
        Assert.Contains("has no dataset 'nope'", e.Message);
        Assert.Contains(DeepLoc, e.Message);
    }
}
