using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using XaiGrid.TorchExtras;
using static XaiGrid.TorchExtras.Tests.IoTestSupport;

namespace XaiGrid.TorchExtras.Tests;

/// <summary>
/// safetensors against an independent writer and reader (python: struct + json + numpy bytes; the safetensors
/// package is not installed for Debian's python3), round trips of every dtype, and malformed files.
/// </summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    /// <summary>One tensor of every dtype we store, with awkward values (extremes, NaN, -0, 0-d, empty, a strided view).</summary>
    private static Dictionary<string, Tensor> EveryDtype(torch.Generator g) => new()
    {
        ["features.0.weight"] = torch.randn([2, 3, 3], generator: g),
        ["special"] = torch.tensor(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue }),
        ["classifier.bias"] = torch.randn([5], torch.float64, generator: g),
        ["step"] = torch.tensor(new[] { long.MinValue, -1, 0, (1L << 53) + 1, long.MaxValue }),
        ["counts"] = torch.tensor(new[] { int.MinValue, -7, 0, 123456, int.MaxValue }, [5, 1]),
        ["pixels"] = torch.tensor(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), [16, 16]),
        ["mask"] = torch.tensor(new[] { true, false, false, true, true }),
        ["small"] = torch.tensor(new sbyte[] { -128, -1, 0, 127 }),
        ["short"] = torch.tensor(new short[] { short.MinValue, -300, 0, 300, short.MaxValue }),
        ["half"] = torch.tensor(new[] { 0.5f, -2f, 1024f, 65504f, 6.1035156e-5f, 0f }).to(ScalarType.Float16),
        ["scalar"] = torch.tensor(2.5),
        ["transposed"] = torch.randn([3, 4], generator: g).t(), // stored in its logical (C) order
        ["empty"] = torch.zeros([0, 3]),
    };

    /// <summary>Bitwise equality of dtype, shape and elements (NaN, infinities and -0 included).</summary>
    private static void AssertSameTensor(Tensor expected, Tensor actual, string name)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(Bits(expected).SequenceEqual(Bits(actual)), $"tensor '{name}' differs after the round trip");
    }

    [Fact]
    public void EveryDtypeRoundTripsThroughFileBytesAndStream()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(11);
        var tensors = EveryDtype(g);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" <tag>" };
        string path = tmp.File("all.safetensors");
        SafeTensors.save_file(tensors, path, metadata);

        var fromFile = SafeTensors.load_file(path, out var meta);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), meta.OrderBy(kv => kv.Key));
        Assert.Equal(tensors.Keys.Order(), fromFile.Keys.Order());
        foreach (var (name, t) in tensors) AssertSameTensor(t, fromFile[name], name);

        byte[] bytes = SafeTensors.save(tensors, metadata);
        Assert.Equal(File.ReadAllBytes(path), bytes);
        var fromBytes = SafeTensors.load(bytes);
        foreach (var (name, t) in tensors) AssertSameTensor(t, fromBytes[name], name);

        using var stream = new NonSeekableStream(bytes);
        var fromStream = SafeTensors.load(stream);
        foreach (var (name, t) in tensors) AssertSameTensor(t, fromStream[name], name);
    }

    [Fact]
    public void WritingIsDeterministicAlignedAndOrderedBySizeThenName()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(3);
        var tensors = EveryDtype(g);
        var reversed = tensors.Reverse().ToDictionary(kv => kv.Key, kv => kv.Value);
        byte[] a = SafeTensors.save(tensors, new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        byte[] b = SafeTensors.save(reversed, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        Assert.Equal(a, b);

        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(a);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(a.AsMemory(8, (int)headerLength));
        var entries = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Name, Size: SizeOf(p.Value.GetProperty("dtype").GetString()!), Begin: p.Value.GetProperty("data_offsets")[0].GetInt64()))
            .OrderBy(e => e.Begin).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        // 8-byte types, then 4, 2, 1; by ordinal name within a size ("empty" holds no bytes).
        string[] expectedOrder =
        [
            "classifier.bias", "scalar", "step", "counts", "empty", "features.0.weight", "special", "transposed", "half", "short", "mask", "pixels", "small",
        ];
        Assert.Equal(expectedOrder, entries.Select(e => e.Name));
        foreach (var e in entries) Assert.True(e.Begin % e.Size == 0, $"tensor '{e.Name}' begins at {e.Begin}, not aligned to {e.Size}");
    }

    private static int SizeOf(string code) => code switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "I16" => 2,
        _ => 1,
    };

    private const string PythonWriter = """
        import json, struct, sys, torch
        torch.manual_seed(0)
        ts = {
            'conv1.weight': torch.randn(4, 1, 5),
            'mask': torch.rand(7) > 0.5,
            'linear.bias': torch.randn(10, dtype=torch.float64),
            'pixels': torch.randint(0, 256, (2, 3), dtype=torch.uint8),
            'steps': (torch.arange(-3, 9, dtype=torch.int64) * 10**15 + 7).reshape(3, 4),
            'counts': torch.randint(-1000, 1000, (5,), dtype=torch.int32),
            'scalar': torch.tensor(2.5),
            'empty': torch.zeros(0, 3),
        }
        codes = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8', torch.bool: 'BOOL'}
        # Insertion order and no header padding: deliberately not the layout our writer uses.
        header, blobs, off = {'__metadata__': {'format': 'pt', 'writer': 'python'}}, [], 0
        for name, t in ts.items():
            b = t.contiguous().numpy().tobytes()
            header[name] = {'dtype': codes[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        h = json.dumps(header).encode()
        with open(sys.argv[1], 'wb') as f:
            f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
        print(json.dumps([{'name': n, 'dtype': codes[t.dtype], 'shape': list(t.shape), 'values': t.flatten().tolist()} for n, t in ts.items()]))
        """;

    [Fact]
    public void LoadsFileWrittenByPythonTorch()
    {
        string path = tmp.File("python.safetensors");
        var expected = PythonJson(PythonWriter, path).EnumerateArray().ToList();

        using var scope = torch.NewDisposeScope();
        var loaded = SafeTensors.load_file(path, out var metadata);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["writer"] = "python" }, metadata);
        Assert.Equal(expected.Select(e => e.GetProperty("name").GetString()), loaded.Keys);
        var dtypes = new Dictionary<string, ScalarType>
        {
            ["F32"] = torch.float32, ["F64"] = torch.float64, ["I64"] = torch.int64, ["I32"] = torch.int32, ["U8"] = torch.uint8, ["BOOL"] = torch.@bool,
        };
        foreach (var e in expected)
        {
            string name = e.GetProperty("name").GetString()!;
            var t = loaded[name];
            Assert.Equal(dtypes[e.GetProperty("dtype").GetString()!], t.dtype);
            Assert.Equal(Longs(e.GetProperty("shape")), t.shape);
            AssertValues(e.GetProperty("values"), t, name);
        }
        Assert.Equal(12, loaded["steps"].numel());
        Assert.Equal(-3_000_000_000_000_000 + 7, loaded["steps"].data<long>().ToArray()[0]);
    }

    private const string PythonReader = """
        import json, struct, sys
        import numpy as np
        buf = open(sys.argv[1], 'rb').read()
        n, = struct.unpack('<Q', buf[:8])
        header = json.loads(buf[8:8 + n])
        meta = header.pop('__metadata__', {})
        types = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1', 'BOOL': '?'}
        out = {}
        for name, e in header.items():
            b, end = e['data_offsets']
            a = np.frombuffer(buf[8 + n + b:8 + n + end], dtype=types[e['dtype']]).reshape(e['shape'])
            out[name] = {'dtype': e['dtype'], 'shape': list(a.shape), 'values': a.flatten().tolist()}
        print(json.dumps({'metadata': meta, 'tensors': out, 'data_bytes': len(buf) - 8 - n}))
        """;

    [Fact]
    public void FileWeWriteLoadsInPython()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(5);
        var tensors = EveryDtype(g);
        tensors.Remove("special"); // NaN and infinities are not JSON
        string path = tmp.File("ours.safetensors");
        SafeTensors.save_file(tensors, path, new Dictionary<string, string> { ["epoch"] = "12" });

        var got = PythonJson(PythonReader, path);
        Assert.Equal("12", got.GetProperty("metadata").GetProperty("epoch").GetString());
        var codes = new Dictionary<ScalarType, string>
        {
            [torch.float32] = "F32", [torch.float64] = "F64", [ScalarType.Float16] = "F16", [torch.int64] = "I64", [torch.int32] = "I32",
            [ScalarType.Int16] = "I16", [torch.int8] = "I8", [torch.uint8] = "U8", [torch.@bool] = "BOOL",
        };
        var pyTensors = got.GetProperty("tensors");
        Assert.Equal(tensors.Count, pyTensors.EnumerateObject().Count());
        foreach (var (name, t) in tensors)
        {
            var e = pyTensors.GetProperty(name);
            Assert.Equal(codes[t.dtype], e.GetProperty("dtype").GetString());
            Assert.Equal(t.shape, Longs(e.GetProperty("shape")));
            AssertValues(e.GetProperty("values"), t, name);
        }
        Assert.Equal(tensors.Values.Sum(t => t.numel() * ElementSize(t.dtype)), got.GetProperty("data_bytes").GetInt64());
    }

    /// <summary>A file written by hand: 8-byte length, header text, data.</summary>
    private static byte[] Craft(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        data.CopyTo(file, 8 + h.Length);
        return file;
    }

    private InvalidDataException LoadFails(byte[] file, string name)
    {
        string path = tmp.File(name);
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.load_file(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void TruncatedFileNamesFileAndTensor()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["a"] = torch.ones([4], torch.float64), ["b"] = torch.ones([3], torch.uint8) };
        byte[] file = SafeTensors.save(tensors);

        var e = LoadFails(file[..^2], "cut-data.safetensors");
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains("run past the end", e.Message);

        // Without seeking, the shortfall is found while reading.
        using var stream = new NonSeekableStream(file[..^2]);
        var e2 = Assert.Throws<InvalidDataException>(() => SafeTensors.load(stream, "blob 1234"));
        Assert.Contains("blob 1234: tensor 'b'", e2.Message);

        Assert.Contains("truncated", LoadFails(file[..20], "cut-header.safetensors").Message);
        Assert.Contains("truncated", LoadFails(file[..5], "cut-length.safetensors").Message);
        Assert.Contains("after the last tensor", LoadFails([.. file, 0], "extra.safetensors").Message);
    }

    [Fact]
    public void OffsetsOutOfRangeNameTheTensor()
    {
        var e = LoadFails(Craft("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[8]),
            "past-end.safetensors");
        Assert.Contains("tensor 'b': data_offsets [8, 16] run past the end of the data, which holds 8 bytes", e.Message);

        e = LoadFails(Craft("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"gap":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", new byte[20]),
            "gap.safetensors");
        Assert.Contains("tensor 'gap': data_offsets [12, 20] are out of range", e.Message);

        e = LoadFails(Craft("""{"w":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}""", new byte[16]), "size.safetensors");
        Assert.Contains("tensor 'w': data_offsets [0, 16] span 16 bytes, but shape [3] of F64 needs 24", e.Message);

        e = LoadFails(Craft("""{"w":{"dtype":"F64","shape":[0],"data_offsets":[5,2]}}""", []), "backwards.safetensors");
        Assert.Contains("tensor 'w': data_offsets [5, 2] are out of range", e.Message);

        e = LoadFails(Craft("""{"w":{"dtype":"F64","shape":[-1],"data_offsets":[0,8]}}""", new byte[8]), "negative.safetensors");
        Assert.Contains("tensor 'w': 'shape' is [-1]", e.Message);
    }

    [Fact]
    public void UnknownDtypeNamesTensorAndDtype()
    {
        var e = LoadFails(Craft("""{"emb":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", new byte[2]), "f8.safetensors");
        Assert.Contains("tensor 'emb': unsupported dtype 'F8_E4M3'", e.Message);
    }

    [Fact]
    public void HeaderThatIsNotJsonNamesTheFile()
    {
        var e = LoadFails(Craft("this is not json", []), "text.safetensors");
        Assert.Contains("the header is not valid JSON", e.Message);
        e = LoadFails(Craft("[1, 2]", []), "array.safetensors");
        Assert.Contains("expected an object", e.Message);
        e = LoadFails(Craft("""{"__metadata__":{"epoch":12}}""", []), "meta.safetensors");
        Assert.Contains("__metadata__ entry 'epoch' is JSON Number, expected a string", e.Message);
        e = LoadFails(Craft("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", new byte[4]), "nodtype.safetensors");
        Assert.Contains("tensor 'w': the entry has no 'dtype'", e.Message);
        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, 1UL << 40);
        Assert.Contains("not plausible", LoadFails(huge, "huge.safetensors").Message);
    }

    [Fact]
    public void BoolBytesOtherThanZeroOrOneAreRejected()
    {
        var e = LoadFails(Craft("""{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}""", [1, 0, 2]), "bool.safetensors");
        Assert.Contains("tensor 'm': bool element 2 has byte value 2", e.Message);
    }

    [Fact]
    public void MissingFileAndReservedNameAreErrors()
    {
        string path = tmp.File("absent.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.load_file(path));
        Assert.Contains(path, e.Message);
        using var t = torch.ones([1]);
        Assert.Throws<ArgumentException>(() => SafeTensors.save(new Dictionary<string, Tensor> { ["__metadata__"] = t }));
    }
}

/// <summary>A read-only stream that cannot seek or report its length, as a network or decompression stream.</summary>
internal sealed class NonSeekableStream(byte[] data) : Stream
{
    private readonly MemoryStream inner = new(data, writable: false);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
