using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using XaiGrid.TorchExtras;
using static XaiGrid.TorchExtras.Tests.IoTestSupport;

namespace XaiGrid.TorchExtras.Tests;

/// <summary>Files written by numpy 1.24 (np.save, np.lib.format.write_array), once for all the .npy tests.</summary>
public sealed class NumpyFiles : IDisposable
{
    private const string Writer = """
        import json, sys
        import numpy as np
        rng = np.random.default_rng(0)
        d = sys.argv[1]
        arrays = {
            'f4': rng.standard_normal((2, 3, 4)).astype('<f4'),
            'f8': rng.standard_normal(7),
            'i8': (np.arange(-3, 9, dtype='<i8') * 10**15 + 7).reshape(3, 4),
            'i4': rng.integers(-2**31, 2**31, (5,), dtype='<i4'),
            'u1': rng.integers(0, 256, (4, 4), dtype='u1'),
            'b1': rng.random((3, 5)) > 0.5,
            'scalar': np.array(2.5),
            'empty': np.zeros((0, 3), dtype='<f4'),
            'column': np.arange(3, dtype='<i8').reshape(3, 1),
            'long_axis': np.arange(123456, dtype='u1'),
        }
        out = []
        for name, a in arrays.items():
            np.save(f'{d}/{name}.npy', a)
            out.append({'name': name, 'descr': a.dtype.str, 'shape': list(a.shape), 'values': a.flatten().tolist()})
        for v in [(2, 0), (3, 0)]:
            with open(f'{d}/v{v[0]}.npy', 'wb') as f:
                np.lib.format.write_array(f, arrays['f4'], version=v)
        np.save(f'{d}/fortran.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))
        np.save(f'{d}/bigendian.npy', np.arange(4, dtype='>f4'))
        np.save(f'{d}/object.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
        np.save(f'{d}/complex.npy', np.zeros(2, dtype=np.complex64))
        print(json.dumps(out))
        """;

    private readonly TempDir dir = new();

    public List<JsonElement> Arrays { get; }

    public NumpyFiles() => Arrays = PythonJson(Writer, dir.Path).EnumerateArray().ToList();

    public string File(string name) => dir.File(name + ".npy");

    public void Dispose() => dir.Dispose();
}

public sealed class NpyTests(NumpyFiles numpy) : IClassFixture<NumpyFiles>, IDisposable
{
    private readonly TempDir tmp = new();

    public void Dispose() => tmp.Dispose();

    private static readonly Dictionary<string, ScalarType> Descrs = new()
    {
        ["<f4"] = torch.float32, ["<f8"] = torch.float64, ["<i8"] = torch.int64, ["<i4"] = torch.int32, ["|u1"] = torch.uint8, ["|b1"] = torch.@bool,
        ["<f2"] = ScalarType.Float16, ["<i2"] = ScalarType.Int16, ["|i1"] = torch.int8,
    };

    [Fact]
    public void NumpyFilesLoadWithTheRightValues()
    {
        Assert.Equal(10, numpy.Arrays.Count);
        foreach (var a in numpy.Arrays)
        {
            string name = a.GetProperty("name").GetString()!;
            using var t = Npy.load(numpy.File(name));
            Assert.Equal(Descrs[a.GetProperty("descr").GetString()!], t.dtype);
            Assert.Equal(Longs(a.GetProperty("shape")), t.shape);
            AssertValues(a.GetProperty("values"), t, name);
        }
    }

    [Fact]
    public void WhatWeWriteIsByteForByteWhatNumpyWrites()
    {
        foreach (var a in numpy.Arrays)
        {
            string path = numpy.File(a.GetProperty("name").GetString()!);
            using var t = Npy.load(path);
            Assert.Equal(File.ReadAllBytes(path), Npy.save(t));
        }
    }

    [Fact]
    public void FormatVersions2And3Load()
    {
        var f4 = numpy.Arrays.Single(a => a.GetProperty("name").GetString() == "f4");
        foreach (var v in new[] { "v2", "v3" })
        {
            var bytes = File.ReadAllBytes(numpy.File(v));
            Assert.Equal(v[1] - '0', bytes[6]);
            using var t = Npy.load(numpy.File(v));
            Assert.Equal([2L, 3, 4], t.shape);
            AssertValues(f4.GetProperty("values"), t, v);
        }
    }

    private const string Reader = """
        import json, sys
        import numpy as np
        out = {}
        for path in sys.argv[1:]:
            a = np.load(path, allow_pickle=False)
            out[path] = {'descr': a.dtype.str, 'shape': list(a.shape), 'c_order': bool(a.flags.c_contiguous), 'values': a.flatten().tolist()}
        print(json.dumps(out))
        """;

    [Fact]
    public void FilesWeWriteLoadInNumpy()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(9);
        var tensors = new Dictionary<string, Tensor>
        {
            ["|b1"] = torch.tensor(new[] { true, false, true, true }, [2, 2]),
            ["|u1"] = torch.randint(0, 256, [3, 5], torch.uint8, generator: g),
            ["|i1"] = torch.tensor(new sbyte[] { -128, -1, 0, 127 }),
            ["<i2"] = torch.tensor(new short[] { short.MinValue, 0, short.MaxValue }),
            ["<i4"] = torch.randint(int.MinValue, int.MaxValue, [7], torch.int32, generator: g),
            ["<i8"] = torch.tensor(new[] { long.MinValue, -1, (1L << 53) + 1, long.MaxValue }, [2, 1, 2]),
            ["<f2"] = torch.tensor(new[] { 0.5f, -2f, 65504f }).to(ScalarType.Float16),
            ["<f4"] = torch.randn([2, 3, 4, 5], generator: g),
            ["<f8"] = torch.randn([3, 4], torch.float64, generator: g).t(),
        };
        var paths = new Dictionary<string, string>();
        foreach (var (descr, t) in tensors)
        {
            paths[descr] = tmp.File($"{Descrs[descr]}.npy");
            Npy.save(paths[descr], t);
        }

        var got = PythonJson(Reader, paths.Values.ToArray());
        foreach (var (descr, t) in tensors)
        {
            var e = got.GetProperty(paths[descr]);
            Assert.Equal(descr, e.GetProperty("descr").GetString());
            Assert.Equal(t.shape, Longs(e.GetProperty("shape")));
            Assert.True(e.GetProperty("c_order").GetBoolean());
            AssertValues(e.GetProperty("values"), t, descr);
        }
    }

    [Fact]
    public void EveryDtypeRoundTripsThroughFileBytesAndStream()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new[]
        {
            torch.tensor(new[] { float.NaN, float.NegativeInfinity, -0f, float.Epsilon }),
            torch.tensor(new[] { double.NaN, double.MaxValue, -0.0 }, [3, 1, 1]),
            torch.tensor(new[] { long.MinValue, long.MaxValue }),
            torch.tensor(new[] { int.MinValue, int.MaxValue }),
            torch.tensor(new short[] { short.MinValue, short.MaxValue }),
            torch.tensor(new sbyte[] { sbyte.MinValue, sbyte.MaxValue }),
            torch.tensor(new byte[] { 0, 255 }),
            torch.tensor(new[] { true, false }),
            torch.tensor(new[] { 65504f, -0.25f }).to(ScalarType.Float16),
            torch.zeros([4, 0, 2], torch.float64),
            torch.tensor(7L),
            torch.arange(12, torch.int32).reshape(3, 4).t(),
        };
        foreach (var t in tensors)
        {
            string path = tmp.File("t.npy");
            Npy.save(path, t);
            byte[] bytes = Npy.save(t);
            Assert.Equal(File.ReadAllBytes(path), bytes);
            Assert.Equal(0, (bytes.Length - t.numel() * ElementSize(t.dtype)) % 64);
            using var stream = new NonSeekableStream(bytes);
            foreach (var back in new[] { Npy.load(path), Npy.load(bytes), Npy.load(stream) })
            {
                Assert.Equal(t.dtype, back.dtype);
                Assert.Equal(t.shape, back.shape);
                Assert.Equal(Bits(t), Bits(back));
            }
        }
    }

    private InvalidDataException LoadFails(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = tmp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A version 1.0 file written by hand around a header dict.</summary>
    private static byte[] Craft(string dict, byte[] data)
    {
        var header = Encoding.ASCII.GetBytes(dict + "\n");
        var file = new byte[10 + header.Length + data.Length];
        file[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(file, 1);
        file[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)header.Length);
        header.CopyTo(file, 10);
        data.CopyTo(file, 10 + header.Length);
        return file;
    }

    [Fact]
    public void FortranOrderIsAClearError()
    {
        var e = LoadFails(numpy.File("fortran"));
        Assert.Contains("fortran_order is True; only C-order arrays are supported", e.Message);
    }

    [Fact]
    public void UnsupportedDtypesNameTheDescr()
    {
        Assert.Contains("descr '>f4' is not supported", LoadFails(numpy.File("bigendian")).Message);
        Assert.Contains("descr '|O' is not supported", LoadFails(numpy.File("object")).Message);
        Assert.Contains("descr '<c8' is not supported", LoadFails(numpy.File("complex")).Message);
    }

    [Fact]
    public void TruncatedOrPaddedFilesAreErrors()
    {
        var good = File.ReadAllBytes(numpy.File("f8"));
        Assert.Contains("truncated: shape [7] needs 56 data bytes, the file has 53", LoadFails(Write("cut.npy", good[..^3])).Message);
        Assert.Contains("truncated", LoadFails(Write("cut-header.npy", good[..40])).Message);
        Assert.Contains("bytes after the 56 data bytes", LoadFails(Write("extra.npy", [.. good, 1])).Message);
    }

    [Fact]
    public void MalformedHeadersAreErrors()
    {
        Assert.Contains("not a .npy file", LoadFails(Write("magic.npy", Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip"))).Message);

        var version = File.ReadAllBytes(numpy.File("f8"));
        version[6] = 4;
        Assert.Contains("format version 4.0 is not supported", LoadFails(Write("version.npy", version)).Message);

        var e = LoadFails(Write("keys.npy", Craft("{'descr': '<f4', 'shape': (1,), }", new byte[4])));
        Assert.Contains("the header has keys [descr, shape]", e.Message);
        e = LoadFails(Write("shape.npy", Craft("{'descr': '<f4', 'fortran_order': False, 'shape': 3, }", new byte[12])));
        Assert.Contains("shape 3 is not a tuple of integers", e.Message);
        e = LoadFails(Write("syntax.npy", Craft("{'descr': '<f4', 'fortran_order': False, 'shape': (3,) ", new byte[12])));
        Assert.Contains("cannot parse the header", e.Message);
        e = LoadFails(Write("bool.npy", Craft("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", [0, 9])));
        Assert.Contains("bool element 1 has byte value 9", e.Message);
    }

    [Fact]
    public void Python2HeadersWithLongSuffixesLoad()
    {
        // numpy under Python 2 wrote shapes such as (2L, 3L).
        var data = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(16), -5);
        using var t = Npy.load(Craft("{'descr': '<i8', 'fortran_order': False, 'shape': (3L,), }", data), "py2 header");
        Assert.Equal([0L, 0, -5], t.data<long>().ToArray());
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = tmp.File("absent.npy");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => Npy.load(path)).Message);
    }
}
