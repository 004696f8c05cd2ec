using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

/// <summary>
/// Image files written by Debian's Pillow in one python run, each with the values Pillow reads back from it as
/// float32 (C, H, W) arrays: <c>convert("RGB")</c> and <c>convert("L")</c> over 255 for 8-bit files, the 16-bit
/// samples over 65535 (repeated to three channels for RGB) for 16-bit ones. Also files no reader should accept.
/// </summary>
public sealed class PillowImages : IDisposable
{
    private const string Script = """
        import struct, sys, zlib
        import numpy as np
        from PIL import Image
        out = sys.argv[1]
        rng = np.random.RandomState(7)
        rgb = rng.randint(0, 256, (13, 17, 3)).astype(np.uint8)
        gray16 = rng.randint(0, 65536, (13, 17)).astype(np.uint16)
        y, x = np.mgrid[0:40, 0:48]
        smooth = np.stack([(x * 5) % 256, (y * 6) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)
        files = {
            "rgb.png": (Image.fromarray(rgb), {}),
            "gray.png": (Image.fromarray(rgb[..., 0]), {}),
            "rgba.png": (Image.fromarray(np.dstack([rgb, rgb[..., :1]])), {}),
            "gray_alpha.png": (Image.fromarray(rgb[..., 1]).convert("LA"), {}),
            "palette.png": (Image.fromarray(rgb).quantize(16), {}),
            "gray16.png": (Image.fromarray(gray16), {}),
            "gray16.tif": (Image.fromarray(gray16), {}),
            "rgb.tif": (Image.fromarray(rgb), {}),
            "rgb_packbits.tif": (Image.fromarray(rgb), {"compression": "packbits"}),
            "rgb_lzw.tif": (Image.fromarray(rgb), {"compression": "tiff_lzw"}),
            "gray.tif": (Image.fromarray(rgb[..., 2]), {}),
            "rgb.bmp": (Image.fromarray(rgb), {}),
            "gray.bmp": (Image.fromarray(rgb[..., 0]), {}),
            "gray.jpg": (Image.fromarray(rgb[..., 1]), {"quality": 90}),
            "rgb444.jpg": (Image.fromarray(rgb), {"quality": 90, "subsampling": 0}),
            "rgb420.jpg": (Image.fromarray(smooth), {"quality": 75, "subsampling": 2}),
        }
        for name, (image, options) in files.items():
            image.save(f"{out}/{name}", **options)
            back = Image.open(f"{out}/{name}")
            if back.mode in ("I;16", "I"):
                samples = np.asarray(back).astype(np.float32) / 65535
                rgb_values, gray_values = np.stack([samples] * 3), samples[None]
            else:
                rgb_values = np.asarray(back.convert("RGB")).transpose(2, 0, 1).astype(np.float32) / 255
                gray_values = np.asarray(back.convert("L"))[None].astype(np.float32) / 255
            np.save(f"{out}/{name}.RGB.npy", rgb_values)
            np.save(f"{out}/{name}.Gray.npy", gray_values)
            print(name, back.mode)

        # Formats without a registered decoder, under a PNG name.
        Image.fromarray(rgb).save(f"{out}/gif.png", format="GIF")
        Image.fromarray(rgb).save(f"{out}/webp.png", format="WEBP")
        # A valid PNG whose header says 100000 x 100000, its CRC recomputed so only the size is wrong.
        png = bytearray(open(f"{out}/rgb.png", "rb").read())
        assert png[12:16] == b"IHDR"
        png[16:24] = struct.pack(">II", 100000, 100000)
        png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
        open(f"{out}/huge.png", "wb").write(png)
        """;

    private readonly TempDir dir = new();

    public PillowImages()
    {
        var lines = TestData.Python(Script, dir.Path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Modes = lines.Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
    }

    /// <summary>The mode Pillow reads each written file back as (e.g. "I;16", "RGB").</summary>
    public IReadOnlyDictionary<string, string> Modes { get; }

    public string File(string name) => Path.Combine(dir.Path, name);

    /// <summary>Pillow's values for a written file in a mode.</summary>
    public Tensor Expected(string name, ImageReadMode mode) => Npy.load(File($"{name}.{mode}.npy"));

    public void Dispose() => dir.Dispose();
}
