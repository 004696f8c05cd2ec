using System.Buffers.Binary;
using System.IO.Compression;

namespace XaiGrid.Torch.Tests;

/// <summary>
/// Minimal decoders written from the TIFF 6.0 and PNG specifications, as references independent of OpenCV:
/// they handle only the files the tests read (8-bit, uncompressed or PackBits TIFF; non-interlaced 8-bit PNG).
/// </summary>
internal static class ReferenceDecoders
{
    /// <summary>A little-endian, chunky, 8-bit RGB TIFF: returns the pixels as HWC bytes in RGB order.</summary>
    public static (int Height, int Width, byte[] Rgb) DecodeTiff(string path)
    {
        var f = File.ReadAllBytes(path);
        Assert.True(f[0] == 'I' && f[1] == 'I' && BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(2)) == 42, $"{path} is not a little-endian TIFF");
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(4));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(ifd));
        var tags = new Dictionary<int, long[]>();
        for (int i = 0; i < count; i++)
        {
            var entry = f.AsSpan(ifd + 2 + 12 * i, 12);
            int tag = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            int type = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
            int n = (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            int size = type switch { 3 => 2, 4 => 4, _ => 0 }; // SHORT, LONG; other types are not needed here
            if (size == 0) continue;
            int at = n * size <= 4 ? ifd + 2 + 12 * i + 8 : (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            tags[tag] = Enumerable.Range(0, n)
                .Select(k => size == 2 ? (long)BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(at + 2 * k)) : BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(at + 4 * k)))
                .ToArray();
        }
        int width = (int)tags[256][0], height = (int)tags[257][0];
        Assert.All(tags[258], bits => Assert.Equal(8, bits));
        Assert.Equal(2, tags[262][0]); // RGB
        Assert.Equal(3, tags[277][0]);
        Assert.Equal(1, tags.GetValueOrDefault(284, [1])[0]); // chunky
        Assert.Equal(1, tags.GetValueOrDefault(317, [1])[0]); // no predictor
        long compression = tags[259][0];
        Assert.True(compression is 1 or 32773, $"{path}: compression {compression}");

        var rgb = new List<byte>(width * height * 3);
        var offsets = tags[273];
        var lengths = tags[279];
        for (int s = 0; s < offsets.Length; s++)
        {
            var strip = f.AsSpan((int)offsets[s], (int)lengths[s]);
            if (compression == 1) rgb.AddRange(strip);
            else UnpackBits(strip, rgb);
        }
        Assert.Equal(width * height * 3, rgb.Count);
        return (height, width, rgb.ToArray());
    }

    /// <summary>PackBits: a header n in 0..127 copies n+1 bytes, -127..-1 repeats the next byte 1-n times, -128 is a no-op.</summary>
    private static void UnpackBits(ReadOnlySpan<byte> src, List<byte> dst)
    {
        int i = 0;
        while (i < src.Length)
        {
            int n = (sbyte)src[i++];
            if (n >= 0)
            {
                dst.AddRange(src.Slice(i, n + 1));
                i += n + 1;
            }
            else if (n != -128)
            {
                for (int k = 0; k < 1 - n; k++) dst.Add(src[i]);
                i++;
            }
        }
    }

    /// <summary>A non-interlaced 8-bit PNG: color type, and the pixels as HWC bytes (gray, RGB or RGBA order).</summary>
    public static (int Height, int Width, int ColorType, int Channels, byte[] Pixels) DecodePng(string path)
    {
        var f = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, f[..8]);
        int pos = 8, width = 0, height = 0, colorType = -1;
        using var idat = new MemoryStream();
        while (pos < f.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(f, pos + 4, 4);
            var data = f.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]); // bit depth
                colorType = data[9];
                Assert.Equal(0, data[12]); // no interlace
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"color type {colorType}") };

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        var raw = inflated.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), raw.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int value = raw[y * (stride + 1) + 1 + x];
                int a = x >= channels ? pixels[y * stride + x - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
                int predicted = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                };
                pixels[y * stride + x] = (byte)(value + predicted);
            }
        }
        return (height, width, colorType, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
