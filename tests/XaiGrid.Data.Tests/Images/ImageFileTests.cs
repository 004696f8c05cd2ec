using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

public class ImageFileTests(PillowImages pillow) : IClassFixture<PillowImages>
{
    [Theory]
    [InlineData("rgb.png", "RGB")]
    [InlineData("gray.png", "L")]
    [InlineData("rgba.png", "RGBA")]
    [InlineData("gray_alpha.png", "LA")]
    [InlineData("palette.png", "P")]
    [InlineData("gray16.png", "I")] // Pillow reads its own 16-bit gray PNG back as 32-bit "I"
    [InlineData("gray16.tif", "I;16")]
    [InlineData("rgb.tif", "RGB")]
    [InlineData("rgb_packbits.tif", "RGB")]
    [InlineData("rgb_lzw.tif", "RGB")]
    [InlineData("gray.tif", "L")]
    [InlineData("rgb.bmp", "RGB")]
    [InlineData("gray.bmp", "L")]
    public void A_file_written_by_pillow_reads_as_pillows_values_in_both_modes(string name, string pillowMode)
    {
        Assert.Equal(pillowMode, pillow.Modes[name]);
        foreach (var mode in new[] { ImageReadMode.RGB, ImageReadMode.Gray })
        {
            using var expected = pillow.Expected(name, mode);
            using var actual = ImageFile.Read(pillow.File(name), mode);
            TestData.AssertEqual(expected, actual);
        }
    }

    // libjpeg (Pillow) and ImageSharp round the inverse DCT and the YCbCr to RGB conversion differently, and upsample
    // subsampled chroma differently (libjpeg's "fancy" triangle filter). The bounds are the largest differences
    // measured on these files, in 8-bit levels: a gray JPEG 1; RGB without subsampling (4:4:4) 2, its gray 1;
    // RGB with 4:2:0 chroma (Pillow's default; a smooth gradient) 7, its gray 1, since luma is not subsampled.
    [Theory]
    [InlineData("gray.jpg", ImageReadMode.RGB, 1)]
    [InlineData("gray.jpg", ImageReadMode.Gray, 1)]
    [InlineData("rgb444.jpg", ImageReadMode.RGB, 2)]
    [InlineData("rgb444.jpg", ImageReadMode.Gray, 1)]
    [InlineData("rgb420.jpg", ImageReadMode.RGB, 7)]
    [InlineData("rgb420.jpg", ImageReadMode.Gray, 1)]
    public void A_jpeg_written_by_pillow_is_within_the_measured_levels_of_libjpegs_values(string name, ImageReadMode mode, int levels)
    {
        using var expected = pillow.Expected(name, mode);
        using var actual = ImageFile.Read(pillow.File(name), mode);
        Assert.Equal(expected.shape, actual.shape);
        var want = expected.data<float>().ToArray();
        var got = actual.data<float>().ToArray();
        int worst = Enumerable.Range(0, want.Length).Max(i => (int)Math.Abs(Math.Round(want[i] * 255) - Math.Round(got[i] * 255)));
        Assert.True(worst <= levels, $"{name} {mode}: differs from Pillow by up to {worst} levels, more than the {levels} measured");
        // Ours are still 8-bit values.
        Assert.All(got, v => Assert.Equal(Math.Round(v * 255) / 255, v, 1e-6));
    }

    [Fact]
    public void Gray_is_pillows_convert_L_on_every_24_bit_colour()
    {
        using var dir = new TempDir();
        string bmp = dir.File("colours.bmp"), luma = dir.File("luma.npy");
        // All 2^24 colours, colour k = (r, g, b) at pixel k of a 4096 x 4096 image; BMP keeps the write fast.
        const string script = """
            import sys, numpy as np
            from PIL import Image
            k = np.arange(1 << 24, dtype=np.uint32)
            rgb = np.stack([k >> 16, (k >> 8) & 255, k & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)
            image = Image.fromarray(rgb)
            image.save(sys.argv[1])
            np.save(sys.argv[2], np.asarray(image.convert("L")))
            """;
        TestData.Python(script, bmp, luma);
        using var expected = Npy.load(luma);
        var want = expected.data<byte>().ToArray();
        var got = ImageFile.Decode(bmp, ImageReadMode.Gray);
        Assert.Equal([1L, 4096, 4096], got.Shape);
        int first = Enumerable.Range(0, want.Length).FirstOrDefault(k => want[k] / 255f != got.Values[k], -1);
        Assert.True(first < 0, first < 0 ? "" :
            $"colour ({first >> 16}, {(first >> 8) & 255}, {first & 255}): Pillow {want[first]}, ours {got.Values[first] * 255}");
    }

    [Fact]
    public void Every_hmt_test_tile_is_pillows_pixels_in_both_modes()
    {
        using var dir = new TempDir();
        var tiles = Directory.GetFiles(HmtTestFixture.Root, "*.tif", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(496, tiles.Length);
        const string script = """
            import sys, numpy as np
            from PIL import Image
            files = sys.argv[3:]
            images = [Image.open(f) for f in files]
            np.save(sys.argv[1], np.stack([np.asarray(i.convert("RGB")) for i in images]))
            np.save(sys.argv[2], np.stack([np.asarray(i.convert("L")) for i in images]))
            """;
        TestData.Python(script, [dir.File("rgb.npy"), dir.File("gray.npy"), .. tiles]);
        using var rgbTensor = Npy.load(dir.File("rgb.npy"));
        using var grayTensor = Npy.load(dir.File("gray.npy"));
        Assert.Equal([496L, 150, 150, 3], rgbTensor.shape);
        byte[] rgb = rgbTensor.data<byte>().ToArray(), gray = grayTensor.data<byte>().ToArray();
        const int plane = 150 * 150;
        for (int t = 0; t < tiles.Length; t++)
        {
            var ours = ImageFile.Decode(tiles[t]);
            Assert.Equal([3L, 150, 150], ours.Shape);
            for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                if (ours.Values[c * plane + p] != rgb[(t * plane + p) * 3 + c] / 255f)
                    Assert.Fail($"{tiles[t]}: channel {c} pixel {p} is {ours.Values[c * plane + p] * 255}, Pillow's {rgb[(t * plane + p) * 3 + c]}");
            var oursGray = ImageFile.Decode(tiles[t], ImageReadMode.Gray);
            for (int p = 0; p < plane; p++)
                if (oursGray.Values[p] != gray[t * plane + p] / 255f)
                    Assert.Fail($"{tiles[t]}: gray pixel {p} is {oursGray.Values[p] * 255}, Pillow's {gray[t * plane + p]}");
        }
    }

    /// <summary>Reading <paramref name="path"/> throws <see cref="InvalidDataException"/> naming it and saying <paramref name="what"/>.</summary>
    private static void AssertRefused(string path, string what)
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void An_empty_file_is_refused_naming_it()
    {
        using var dir = new TempDir();
        var empty = dir.File("empty.png");
        File.WriteAllBytes(empty, []);
        AssertRefused(empty, "empty (0 bytes)");
    }

    [Fact]
    public void Random_bytes_named_png_are_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var corrupt = dir.File("corrupt.png");
        File.WriteAllBytes(corrupt, Enumerable.Range(0, 300).Select(i => (byte)(i * 7919 % 251)).ToArray());
        AssertRefused(corrupt, "not a PNG, JPEG, TIFF or BMP image");
    }

    // ImageSharp fails on cut PNG, JPEG and PackBits data itself; it would fill the missing rows of an uncompressed
    // TIFF or a BMP with zeros, which the sizes in their headers catch.
    [Theory]
    [InlineData("rgb.png", "cannot decode the image")]
    [InlineData("rgb444.jpg", "cannot decode the image")]
    [InlineData("rgb_packbits.tif", "cannot decode the image")]
    [InlineData("rgb.tif", "the TIFF file is truncated: its pixel data runs to byte")]
    [InlineData("rgb.bmp", "the BMP file is truncated: its header declares")]
    public void A_file_cut_in_half_is_refused_naming_it(string name, string what)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(pillow.File(name));
        var cut = dir.File("cut-" + name);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        AssertRefused(cut, what);
    }

    [Fact]
    public void An_hmt_tile_cut_short_is_refused_naming_it()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(HmtTestFixture.Files("04_LYMPHO")[0]);
        var cut = dir.File("cut.tif");
        // Pillow writes the directory after the strips, so the cut loses it and PackBits data.
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        AssertRefused(cut, "cannot decode the image");
    }

    [Fact]
    public void A_header_declaring_100000_by_100000_pixels_is_refused_before_decoding()
    {
        AssertRefused(pillow.File("huge.png"), $"declares 100000 x 100000 pixels; an image may have at most {8192 * 8192}");
    }

    [Theory]
    [InlineData("gif.png")]
    [InlineData("webp.png")]
    public void A_format_without_a_registered_decoder_is_refused_naming_the_file(string name)
    {
        AssertRefused(pillow.File(name), "not a PNG, JPEG, TIFF or BMP image");
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "absent.png");
        var e = Assert.Throws<FileNotFoundException>(() => ImageFile.Read(missing));
        Assert.Equal($"image file not found: {missing}", e.Message);
    }
}
