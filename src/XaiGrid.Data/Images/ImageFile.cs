using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// Reads one PNG, JPEG, TIFF or BMP file (ImageSharp) as float32 (C, H, W) values in [0, 1]: 8-bit samples divided
/// by 255, 16-bit ones by 65535, as torchvision's <c>ToTensor</c> and Pillow's arrays give them. A file that cannot
/// be read as an image (empty, truncated, corrupt, of another format, or over <see cref="MaxPixels"/>) throws
/// <see cref="InvalidDataException"/> naming the file and what is wrong.
/// </summary>
public static class ImageFile
{
    /// <summary>The most pixels an image may declare (8192 x 8192, 64 megapixels); checked from the header before decoding.</summary>
    public const long MaxPixels = 8192L * 8192;

    /// <summary>The names of the formats read, for messages.</summary>
    public const string Formats = "PNG, JPEG, TIFF or BMP";

    // Only the formats the datasets use: any other file is refused before a decoder sees it.
    private static readonly Configuration Decoders = CreateDecoders();

    private static Configuration CreateDecoders()
    {
        var configuration = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new TiffConfigurationModule(), new BmpConfigurationModule());
        // A multi-page TIFF is read as its first page, as Pillow opens it; the pixel cap is checked on that page.
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    /// <summary>The image as a float32 (C, H, W) tensor, C = 3 for RGB and 1 for gray.</summary>
    public static Tensor Read(string path, ImageReadMode mode = ImageReadMode.RGB) => Decode(path, mode).ToTensor();

    /// <summary>The image's values without a tensor, as <see cref="Read"/> gives them.</summary>
    public static ImagePixels Decode(string path, ImageReadMode mode = ImageReadMode.RGB)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length == 0) throw new InvalidDataException($"{path}: the image file is empty (0 bytes)");

        var (info, format) = Decoding(path, () => (Image.Identify(Decoders, stream, out var f), f));
        if (info is null || format is null)
            throw new InvalidDataException($"{path}: not a {Formats} image (the header matches none of them)");
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPixels)
            throw new InvalidDataException(
                $"{path}: the {format.Name} header declares {info.Width} x {info.Height} pixels; an image may have at most {MaxPixels}");

        stream.Position = 0;
        return HasSixteenBitSamples(info, format)
            ? Planes<Rgb48, ushort>(path, stream, format, mode, ushort.MaxValue)
            : Planes<Rgb24, byte>(path, stream, format, mode, byte.MaxValue);
    }

    // ImageSharp decodes TIFF to 8-bit pixels unless asked for more, so the sample depth is taken from the header.
    private static bool HasSixteenBitSamples(IImageInfo info, IImageFormat format) => format switch
    {
        PngFormat => info.Metadata.GetPngMetadata().BitDepth == PngBitDepth.Bit16,
        // 16 bits a pixel is 16-bit gray or 8-bit gray and alpha; the second reads the same at either depth
        // (v * 257 / 65535 = v / 255 and it has no colours to weigh). 48 and 64 are 16-bit RGB and RGBA.
        TiffFormat => info.PixelType?.BitsPerPixel is 16 or 48 or 64,
        _ => false, // ImageSharp's JPEG and BMP samples have at most 8 bits
    };

    /// <summary>Decodes to interleaved RGB samples <typeparamref name="TSample"/> (alpha dropped, gray repeated), then to planes.</summary>
    private static ImagePixels Planes<TPixel, TSample>(string path, Stream stream, IImageFormat format, ImageReadMode mode, int maxSample)
        where TPixel : unmanaged, IPixel<TPixel>
        where TSample : unmanaged, IBinaryInteger<TSample>
    {
        using var image = Decoding(path, () => Image.Load<TPixel>(Decoders, stream));
        if (ImageTruncation.Find(format, stream, image.Frames.RootFrame.Metadata) is { } missing)
            throw new InvalidDataException($"{path}: the {format.Name} file is truncated: {missing}");
        int height = image.Height, width = image.Width, plane = height * width;
        var pixels = new TPixel[plane];
        image.CopyPixelDataTo(pixels);
        ReadOnlySpan<TSample> rgb = MemoryMarshal.Cast<TPixel, TSample>(pixels);
        float max = maxSample;
        if (mode == ImageReadMode.Gray)
        {
            var gray = new float[plane];
            for (int p = 0; p < plane; p++)
            {
                long r = long.CreateTruncating(rgb[3 * p]), g = long.CreateTruncating(rgb[3 * p + 1]), b = long.CreateTruncating(rgb[3 * p + 2]);
                // Pillow's L24 macro: the 601-2 weights 0.299, 0.587, 0.114 times 2^16, rounded half up.
                gray[p] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / max;
            }
            return new ImagePixels(gray, 1, height, width);
        }

        var planes = new float[3 * plane];
        for (int p = 0; p < plane; p++)
        for (int c = 0; c < 3; c++)
            planes[c * plane + p] = int.CreateTruncating(rgb[3 * p + c]) / max;
        return new ImagePixels(planes, 3, height, width);
    }

    /// <summary>
    /// Runs one step of ImageSharp on the file's bytes. Any exception it raises means the bytes are not a readable
    /// image (its decoders throw format, memory, range and end-of-stream exceptions alike), so each becomes one error
    /// that names the file.
    /// </summary>
    private static T Decoding<T>(string path, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"{path}: cannot decode the image: {e.Message}", e);
        }
    }
}
