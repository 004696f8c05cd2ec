using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

    /// <summary>
    /// NumPy's <c>.npy</c> files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), as
    /// <c>np.save</c>/<c>np.load</c>. Reads format versions 1.0, 2.0 and 3.0; writes 1.0, byte for byte as NumPy
    /// 1.24 does. Element types: <c>&lt;f2 &lt;f4 &lt;f8 |i1 &lt;i2 &lt;i4 &lt;i8 |u1 |b1</c>, C order only.
    /// Malformed input throws <see cref="InvalidDataException"/> naming the file (or the <c>source</c> given for
    /// bytes and streams) and the field.
    /// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy pads the header so the data starts on a 64-byte boundary.
    private const int Align = 64;

    // NumPy refuses headers over 10000 characters unless the file is trusted; so do we.
    private const int MaxHeaderBytes = 10_000;

    // NumPy leaves room for the first axis to grow to 21 digits without rewriting the file.
    private const int GrowthAxisMaxDigits = 21;

    private static readonly (string Descr, ScalarType Type)[] DTypes =
    [
        ("|b1", ScalarType.Bool), ("|u1", ScalarType.Byte), ("|i1", ScalarType.Int8), ("<i2", ScalarType.Int16),
        ("<i4", ScalarType.Int32), ("<i8", ScalarType.Int64), ("<f2", ScalarType.Float16),
        ("<f4", ScalarType.Float32), ("<f8", ScalarType.Float64),
    ];

    public static Tensor load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($".npy file not found: {path}", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return load(file, path);
    }

    public static Tensor load(byte[] data, string source = ".npy bytes")
    {
        using var stream = new MemoryStream(data, writable: false);
        return load(stream, source);
    }

    /// <summary>Reads one array from the stream's current position; the array must end the stream.</summary>
    public static Tensor load(Stream stream, string source = ".npy stream")
    {
        var (type, shape) = ReadHeader(stream, source);
        long bytes = TensorBytes.NumElements(shape, () => $"{source}: shape") * TensorBytes.ElementSize(type);
        if (bytes > Array.MaxLength)
            throw new InvalidDataException($"{source}: shape [{string.Join(", ", shape)}] has {bytes} bytes, more than one buffer can hold");
        var buffer = ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            var data = buffer.AsSpan(0, (int)bytes);
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < data.Length)
                throw new InvalidDataException($"{source}: truncated: shape [{string.Join(", ", shape)}] needs {bytes} data bytes, the file has {got}");
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{source}: there are bytes after the {bytes} data bytes of shape [{string.Join(", ", shape)}]");
            return TensorBytes.ToTensor(data, shape, type, () => source);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static void save(string path, Tensor tensor)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        save(file, tensor);
    }

    public static byte[] save(Tensor tensor)
    {
        using var buffer = new MemoryStream();
        save(buffer, tensor);
        return buffer.ToArray();
    }

    public static void save(Stream stream, Tensor tensor)
    {
        int index = Array.FindIndex(DTypes, d => d.Type == tensor.dtype);
        if (index < 0) throw new ArgumentException($"a tensor of dtype {tensor.dtype} cannot be saved as .npy here");
        var shape = tensor.shape;
        string tuple = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var header = new StringBuilder($"{{'descr': '{DTypes[index].Descr}', 'fortran_order': False, 'shape': {tuple}, }}");
        if (shape.Length > 0) header.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        // Magic (6), version (2) and length (2) come first; the header ends with '\n' on the boundary.
        int unpadded = Magic.Length + 2 + 2 + header.Length + 1;
        header.Append(' ', Align - unpadded % Align).Append('\n');

        var prefix = new byte[Magic.Length + 4];
        Magic.CopyTo(prefix, 0);
        prefix[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix.AsSpan(8), checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));

        int bytes = TensorBytes.ByteLength(tensor, "a .npy array");
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            TensorBytes.CopyTo(tensor, buffer.AsSpan(0, bytes));
            stream.Write(buffer, 0, bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (ScalarType, long[]) ReadHeader(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[Magic.Length + 2];
        int got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (got < prefix.Length || !prefix[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a .npy file (it does not start with \\x93NUMPY)");
        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException($"{source}: .npy format version {major}.{minor} is not supported (1.0, 2.0, 3.0 are)");

        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        if (stream.ReadAtLeast(lengthBytes, lengthBytes.Length, throwOnEndOfStream: false) < lengthBytes.Length)
            throw new InvalidDataException($"{source}: truncated in the header length");
        long length = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (length > MaxHeaderBytes)
            throw new InvalidDataException($"{source}: header length {length} is over {MaxHeaderBytes} (corrupt, or not an array NumPy would load safely)");
        var headerBytes = new byte[length];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
            throw new InvalidDataException($"{source}: truncated: the header needs {length} bytes");
        string text = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);

        var header = PythonLiteral.Parse(text, source) as Dictionary<string, object?>
                     ?? throw new InvalidDataException($"{source}: the header is not a dictionary: {text.Trim()}");
        if (header.Count != 3 || !header.ContainsKey("descr") || !header.ContainsKey("fortran_order") || !header.ContainsKey("shape"))
            throw new InvalidDataException($"{source}: the header has keys [{string.Join(", ", header.Keys)}], expected descr, fortran_order, shape");

        if (header["descr"] is not string descr)
            throw new InvalidDataException($"{source}: descr {PythonLiteral.Show(header["descr"])} is not a simple dtype (structured arrays are not supported)");
        // One-byte types have no byte order, so '<', '>' and '=' mean the same as '|' for them.
        string normalized = descr.Length == 3 && descr[2] == '1' && descr[0] is '<' or '>' or '=' ? "|" + descr[1..] : descr;
        int index = Array.FindIndex(DTypes, d => d.Descr == normalized);
        if (index < 0)
            throw new InvalidDataException($"{source}: descr '{descr}' is not supported (supported: {string.Join(" ", DTypes.Select(d => d.Descr))}; " +
                                           "big-endian data must be converted with arr.astype(arr.dtype.newbyteorder('<')))");

        if (header["fortran_order"] is not bool fortran)
            throw new InvalidDataException($"{source}: fortran_order {PythonLiteral.Show(header["fortran_order"])} is not True or False");
        if (fortran)
            throw new InvalidDataException($"{source}: fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(arr))");

        if (header["shape"] is not List<object?> dims || dims.Any(d => d is not long))
            throw new InvalidDataException($"{source}: shape {PythonLiteral.Show(header["shape"])} is not a tuple of integers");
        return (DTypes[index].Type, dims.Cast<long>().ToArray());
    }
}
