using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors), named as Python's
/// <c>safetensors.torch</c>: <c>save_file</c>/<c>load_file</c> for paths, <c>save</c>/<c>load</c> for bytes and
/// streams. A file is an 8-byte little-endian header length, a JSON header mapping each tensor name to its
/// dtype, shape and <c>data_offsets</c> (plus an optional <c>__metadata__</c> string map), then the raw
/// little-endian elements.
/// <para>
/// Writing is deterministic: tensors are laid out as the Rust library lays them out, by element size
/// (largest first, so every tensor is aligned for its type) and then by ordinal name; metadata keys are
/// sorted; the header is padded with spaces to a multiple of 8 bytes. Loading returns tensors (on the CPU)
/// in the order of their data in the file. Malformed input throws <see cref="InvalidDataException"/>
/// naming the file (or the <c>source</c> given for bytes and streams) and the tensor.
/// </para>
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    // The Rust library refuses headers over 100 MB; a larger length means a corrupt or foreign file.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly (string Code, ScalarType Type)[] DTypes =
    [
        ("BOOL", ScalarType.Bool), ("U8", ScalarType.Byte), ("I8", ScalarType.Int8), ("I16", ScalarType.Int16),
        ("I32", ScalarType.Int32), ("I64", ScalarType.Int64), ("F16", ScalarType.Float16), ("BF16", ScalarType.BFloat16),
        ("F32", ScalarType.Float32), ("F64", ScalarType.Float64),
    ];

    public static void save_file(IReadOnlyDictionary<string, Tensor> tensors, string path,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        save(tensors, file, metadata);
    }

    public static byte[] save(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var buffer = new MemoryStream();
        save(tensors, buffer, metadata);
        return buffer.ToArray();
    }

    public static void save(IReadOnlyDictionary<string, Tensor> tensors, Stream stream,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var layout = tensors
            .Select(kv => (Name: kv.Key, Tensor: kv.Value, Code: CodeOf(kv.Key, kv.Value), Bytes: TensorBytes.ByteLength(kv.Value, $"tensor '{kv.Key}'")))
            .OrderByDescending(e => TensorBytes.ElementSize(e.Tensor.dtype))
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(kv.Key, kv.Value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in layout)
            {
                if (e.Name.Length == 0 || e.Name == MetadataKey)
                    throw new ArgumentException($"'{e.Name}' cannot be a tensor name in a safetensors file");
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.Code);
                json.WriteStartArray("shape");
                foreach (var d in e.Tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += e.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padded = (header.WrittenCount + 7) / 8 * 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(header.WrittenSpan);
        for (int i = header.WrittenCount; i < padded; i++) stream.WriteByte((byte)' ');

        foreach (var e in layout)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(e.Bytes);
            try
            {
                TensorBytes.CopyTo(e.Tensor, buffer.AsSpan(0, e.Bytes));
                stream.Write(buffer, 0, e.Bytes);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public static OrderedDictionary<string, Tensor> load_file(string path) => load_file(path, out _);

    public static OrderedDictionary<string, Tensor> load_file(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return load(file, out metadata, path);
    }

    public static OrderedDictionary<string, Tensor> load(byte[] data, string source = "safetensors bytes") => load(data, out _, source);

    public static OrderedDictionary<string, Tensor> load(byte[] data, out IReadOnlyDictionary<string, string> metadata,
        string source = "safetensors bytes")
    {
        using var stream = new MemoryStream(data, writable: false);
        return load(stream, out metadata, source);
    }

    public static OrderedDictionary<string, Tensor> load(Stream stream, string source = "safetensors stream") => load(stream, out _, source);

    /// <summary>Reads tensors from the stream's current position to its end; a stream need not be seekable.</summary>
    public static OrderedDictionary<string, Tensor> load(Stream stream, out IReadOnlyDictionary<string, string> metadata,
        string source = "safetensors stream")
    {
        var (entries, meta) = ReadHeader(stream, source);
        var result = new OrderedDictionary<string, Tensor>(entries.Count);
        try
        {
            foreach (var e in entries)
            {
                int length = (int)(e.End - e.Begin);
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    int got = stream.ReadAtLeast(buffer.AsSpan(0, length), length, throwOnEndOfStream: false);
                    if (got < length)
                        throw new InvalidDataException($"{source}: tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] run past the end of the data, " +
                                                       $"which holds {e.Begin + got} bytes (the file is truncated or the offsets are wrong)");
                    result.Add(e.Name, TensorBytes.ToTensor(buffer.AsSpan(0, length), e.Shape, e.Type, () => $"{source}: tensor '{e.Name}'"));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            long dataEnd = entries.Count == 0 ? 0 : entries[^1].End;
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{source}: there are bytes after the last tensor's data (which ends at data byte {dataEnd})");
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        metadata = meta;
        return result;
    }

    private sealed record Entry(string Name, ScalarType Type, long[] Shape, long Begin, long End);

    /// <summary>Parses and validates the header; entries come back in data order, contiguous from 0.</summary>
    private static (List<Entry>, IReadOnlyDictionary<string, string>) ReadHeader(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8) throw new InvalidDataException($"{source}: truncated: {got} bytes, fewer than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{source}: header length {headerLength} is not plausible (not a safetensors file?)");
        var header = new byte[headerLength];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw new InvalidDataException($"{source}: truncated: the header needs {headerLength} bytes but only {got} follow");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: the header is JSON {doc.RootElement.ValueKind}, expected an object");
            var metadata = new Dictionary<string, string>();
            var entries = new List<Entry>();
            var names = new HashSet<string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(p.Name)) throw new InvalidDataException($"{source}: the header names '{p.Name}' twice");
                if (p.Name == MetadataKey) ReadMetadata(p.Value, metadata, source);
                else entries.Add(ReadEntry(p.Name, p.Value, source));
            }

            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (var e in entries)
            {
                if (e.Begin != expected)
                    throw new InvalidDataException($"{source}: tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] are out of range: " +
                                                   $"the data must be contiguous and this tensor should begin at {expected}");
                expected = e.End;
            }
            // A seekable source can be checked before anything is allocated for the data.
            if (stream.CanSeek && stream.Length - stream.Position < expected)
            {
                long available = stream.Length - stream.Position;
                var first = entries.First(e => e.End > available);
                throw new InvalidDataException($"{source}: tensor '{first.Name}': data_offsets [{first.Begin}, {first.End}] run past the end of " +
                                               $"the data, which holds {available} bytes (the file is truncated or the offsets are wrong)");
            }
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: {MetadataKey} is JSON {value.ValueKind}, expected an object of strings");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{source}: {MetadataKey} entry '{m.Name}' is JSON {m.Value.ValueKind}, expected a string");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, string source)
    {
        string where = $"{source}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: the entry is JSON {value.ValueKind}, expected an object with dtype, shape, data_offsets");

        JsonElement Field(string field) => value.TryGetProperty(field, out var f)
            ? f : throw new InvalidDataException($"{where}: the entry has no '{field}'");

        long[] Longs(string field)
        {
            var f = Field(field);
            if (f.ValueKind != JsonValueKind.Array || f.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out var v) || v < 0))
                throw new InvalidDataException($"{where}: '{field}' is {f.GetRawText()}, expected an array of non-negative integers");
            return f.EnumerateArray().Select(x => x.GetInt64()).ToArray();
        }

        var dtypeField = Field("dtype");
        string code = dtypeField.ValueKind == JsonValueKind.String ? dtypeField.GetString()! : dtypeField.GetRawText();
        int index = Array.FindIndex(DTypes, d => d.Code == code);
        if (index < 0)
            throw new InvalidDataException($"{where}: unsupported dtype '{code}' (supported: {string.Join(", ", DTypes.Select(d => d.Code))})");
        var type = DTypes[index].Type;

        var shape = Longs("shape");
        var offsets = Longs("data_offsets");
        if (offsets.Length != 2) throw new InvalidDataException($"{where}: data_offsets has {offsets.Length} values, expected [begin, end]");
        if (offsets[1] < offsets[0])
            throw new InvalidDataException($"{where}: data_offsets [{offsets[0]}, {offsets[1]}] are out of range: end is before begin");
        long bytes = TensorBytes.NumElements(shape, () => where) * TensorBytes.ElementSize(type);
        if (bytes > Array.MaxLength)
            throw new InvalidDataException($"{where}: shape [{string.Join(", ", shape)}] of {code} has {bytes} bytes, more than one buffer can hold");
        if (offsets[1] - offsets[0] != bytes)
            throw new InvalidDataException($"{where}: data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]} bytes, " +
                                           $"but shape [{string.Join(", ", shape)}] of {code} needs {bytes}");
        return new Entry(name, type, shape, offsets[0], offsets[1]);
    }

    private static string CodeOf(string name, Tensor t)
    {
        var type = t.dtype;
        int index = Array.FindIndex(DTypes, d => d.Type == type);
        return index >= 0 ? DTypes[index].Code : throw new ArgumentException($"tensor '{name}' has dtype {type}, which safetensors files here do not store");
    }
}
