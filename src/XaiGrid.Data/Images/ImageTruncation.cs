using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

namespace XaiGrid.Data;

/// <summary>
/// Finds image files cut short. ImageSharp's PNG and JPEG decoders fail on a truncated file, but its TIFF and BMP
/// decoders fill the missing rows with zeros; for those the sizes their headers declare are compared with the file's.
/// </summary>
internal static class ImageTruncation
{
    /// <summary>What is missing from a decoded file, or null when it holds every byte its header points to.</summary>
    public static string? Find(IImageFormat format, Stream file, ImageFrameMetadata firstFrame) => format switch
    {
        TiffFormat => Tiff(file.Length, firstFrame.ExifProfile),
        BmpFormat => Bmp(file),
        _ => null,
    };

    // A TIFF page's pixels are strips (or tiles), each at its offset for its byte count, as the decoder parsed them.
    private static string? Tiff(long length, ExifProfile? tags)
    {
        if (tags is null) return null;
        // ImageSharp types strip offsets as Number[] and tile offsets as uint[].
        var offsets = tags.GetValue(ExifTag.StripOffsets)?.Value.Select(o => (uint)o).ToArray() ?? tags.GetValue(ExifTag.TileOffsets)?.Value;
        var counts = tags.GetValue(ExifTag.StripByteCounts)?.Value ?? tags.GetValue(ExifTag.TileByteCounts)?.Value;
        if (offsets is null || counts is null || offsets.Length == 0) return null;
        long end = offsets.Zip(counts).Max(p => (long)p.First + (uint)p.Second);
        return end > length ? $"its pixel data runs to byte {end} and the file has {length}" : null;
    }

    // The file header's bfSize (bytes 2 to 5, little-endian) is the file size as written; 0 means not given.
    private static string? Bmp(Stream file)
    {
        Span<byte> size = stackalloc byte[4];
        file.Position = 2;
        file.ReadExactly(size);
        long declared = BinaryPrimitives.ReadUInt32LittleEndian(size);
        return declared > file.Length ? $"its header declares {declared} bytes and the file has {file.Length}" : null;
    }
}
