using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

/// <summary>
/// HDF5 files written by h5py (Debian's python3-h5py) in one python run, with every dataset also saved by numpy as
/// <c>NAME.npy</c> (slashes of nested paths as "__") so that each read can be compared with h5py's values.
/// </summary>
public sealed class H5pyFiles : IDisposable
{
    private const string Script = """
        import sys, h5py, numpy as np
        out = sys.argv[1]
        rng = np.random.RandomState(11)
        datasets = {
            "float32": (rng.normal(size=(3, 4, 5)).astype(np.float32), {}),
            "float64": (rng.normal(size=(7,)) * 1e300, {}),
            "uint8": (rng.randint(0, 256, size=(2, 3)).astype(np.uint8), {}),
            "int8": (rng.randint(-128, 128, size=(5,)).astype(np.int8), {}),
            "int16": (rng.randint(-2**15, 2**15, size=(4,)).astype(np.int16), {}),
            "int32": (rng.randint(-2**31, 2**31, size=(4, 2), dtype=np.int64).astype(np.int32), {}),
            "int64": (rng.randint(-2**62, 2**62, size=(6,), dtype=np.int64), {}),
            "scalar": (np.float64(2.5), {}),
            "big_endian": (rng.normal(size=(3, 2)).astype(">f8"), {}),
            "chunked_gzip_float32": (rng.normal(size=(50, 40)).astype(np.float32), {"chunks": (8, 7), "compression": "gzip", "compression_opts": 4}),
            "chunked_gzip_shuffle_float64": (rng.normal(size=(33, 9)), {"chunks": (10, 9), "compression": "gzip", "shuffle": True}),
            "chunked_gzip_uint8": (rng.randint(0, 256, size=(20, 30)).astype(np.uint8), {"chunks": (6, 6), "compression": "gzip"}),
            "chunked_int32": (rng.randint(-1000, 1000, size=(17, 3)).astype(np.int32), {"chunks": (4, 3)}),
            "model_weights/dense/dense/kernel:0": (rng.normal(size=(5, 3)).astype(np.float32), {}),
            "model_weights/dense/dense/bias:0": (rng.normal(size=(3,)).astype(np.float32), {"chunks": (3,), "compression": "gzip"}),
        }
        with h5py.File(f"{out}/file.h5", "w") as f:
            for name, (values, options) in datasets.items():
                f.create_dataset(name, data=values, **options)
                np.save(f"{out}/{name.replace('/', '__')}.npy", np.asarray(values).astype(np.asarray(values).dtype.newbyteorder("<")))
            f.create_dataset("uint16", data=np.arange(4, dtype=np.uint16))
            f.attrs["model_config"] = '{"class_name": "Sequential", "name": "π"}'
            f["model_weights"].attrs["backend"] = np.bytes_(b"tensorflow")
            f.attrs["epochs"] = 12
        """;

    private readonly TempDir dir = new();

    public H5pyFiles() => TestData.Python(Script, dir.Path);

    public string Path => dir.File("file.h5");

    public string NpyOf(string dataset) => dir.File(dataset.Replace("/", "__") + ".npy");

    public string TempFile(string name) => dir.File(name);

    public void Dispose() => dir.Dispose();
}

public class Hdf5FileTests(H5pyFiles h5py) : IClassFixture<H5pyFiles>
{
    private static string DeepLoc => TestData.File("deeploc", "Schuldiner_test_set.hdf5");

    /// <summary>Same dtype, shape and bytes: the two tensors saved as .npy are the same file.</summary>
    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype}, h5py's {expected.dtype}");
        Assert.Equal(expected.shape, actual.shape);
        using MemoryStream want = new(), got = new();
        Npy.save(want, expected);
        Npy.save(got, actual);
        Assert.True(want.ToArray().AsSpan().SequenceEqual(got.ToArray()), $"{what}: values differ from h5py's");
    }

    [Fact]
    public void Every_value_of_the_deeploc_file_is_h5pys()
    {
        using var dir = new TempDir();
        const string script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                np.save(sys.argv[2], f["data1"][()])
                np.save(sys.argv[3], f["Index1"][()])
            """;
        TestData.Python(script, DeepLoc, dir.File("data1.npy"), dir.File("Index1.npy"));
        using var file = Hdf5File.Open(DeepLoc);
        foreach (var (name, dtype, shape) in new[] { ("data1", ScalarType.Float64, new[] { 36L, 8192 }), ("Index1", ScalarType.Byte, new[] { 36L, 11 }) })
        {
            using var expected = Npy.load(dir.File(name + ".npy"));
            using var actual = file.Read(name);
            Assert.Equal(dtype, actual.dtype);
            Assert.Equal(shape, actual.shape);
            AssertSame(expected, actual, name);
        }
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("float64")]
    [InlineData("uint8")]
    [InlineData("int8")]
    [InlineData("int16")]
    [InlineData("int32")]
    [InlineData("int64")]
    [InlineData("scalar")]
    [InlineData("chunked_gzip_float32")]
    [InlineData("chunked_gzip_shuffle_float64")]
    [InlineData("chunked_gzip_uint8")]
    [InlineData("chunked_int32")]
    [InlineData("model_weights/dense/dense/kernel:0")]
    [InlineData("/model_weights/dense/dense/bias:0")]
    public void A_dataset_written_by_h5py_reads_with_its_dtype_shape_and_values(string dataset)
    {
        using var file = Hdf5File.Open(h5py.Path);
        using var expected = Npy.load(h5py.NpyOf(dataset.TrimStart('/')));
        using var actual = file.Read(dataset);
        AssertSame(expected, actual, dataset);
    }

    [Fact]
    public void A_shape_with_wildcards_is_checked_and_a_dataset_of_another_shape_refused()
    {
        using var file = Hdf5File.Open(h5py.Path);
        using (var ok = file.Read("float32", [3, -1, 5])) Assert.Equal([3L, 4, 5], ok.shape);
        var e = Assert.Throws<InvalidDataException>(() => file.Read("float32", [3, 20]));
        Assert.Equal($"{h5py.Path}: dataset 'float32' is [3, 4, 5], expected [3, 20]", e.Message);
        var wildcard = Assert.Throws<InvalidDataException>(() => file.Read("uint8", [-1, 4]));
        Assert.Equal($"{h5py.Path}: dataset 'uint8' is [2, 3], expected [*, 4]", wildcard.Message);
    }

    [Fact]
    public void A_missing_dataset_is_named_with_the_file_and_the_datasets_there()
    {
        using var file = Hdf5File.Open(DeepLoc);
        var e = Assert.Throws<InvalidDataException>(() => file.Read("data2"));
        Assert.Equal($"{DeepLoc} has no dataset 'data2'; its datasets: Index1, data1", e.Message);

        using var nested = Hdf5File.Open(h5py.Path);
        var inGroup = Assert.Throws<InvalidDataException>(() => nested.Read("model_weights/dense/conv/kernel:0"));
        Assert.StartsWith($"{h5py.Path} has no dataset 'model_weights/dense/conv/kernel:0'; its datasets: ", inGroup.Message);
        Assert.Contains("model_weights/dense/dense/kernel:0", inGroup.Message);
        var group = Assert.Throws<InvalidDataException>(() => nested.Read("model_weights/dense"));
        Assert.StartsWith($"{h5py.Path} has a group, not a dataset, at 'model_weights/dense'", group.Message);
    }

    [Fact]
    public void An_unsupported_dtype_is_named()
    {
        using var file = Hdf5File.Open(h5py.Path);
        var e = Assert.Throws<InvalidDataException>(() => file.Read("uint16"));
        Assert.Equal($"{h5py.Path}: dataset 'uint16' holds unsigned 16-bit integers; the types read are {Hdf5File.ReadableTypes}", e.Message);
        // PureHDF 2.2 does not swap bytes; h5py and Keras write little-endian files.
        var bigEndian = Assert.Throws<InvalidDataException>(() => file.Read("big_endian"));
        Assert.StartsWith($"{h5py.Path}: cannot read dataset 'big_endian': Byte order conversion is not (yet) support", bigEndian.Message);
    }

    [Fact]
    public void A_missing_file_and_a_file_that_is_not_hdf5_are_named()
    {
        var missing = h5py.TempFile("absent.h5");
        var notFound = Assert.Throws<FileNotFoundException>(() => Hdf5File.Open(missing));
        Assert.Equal($"HDF5 file not found: {missing}", notFound.Message);

        foreach (var (name, bytes) in new[] { ("empty.h5", Array.Empty<byte>()), ("text.h5", "not an HDF5 file at all"u8.ToArray()) })
        {
            var path = h5py.TempFile(name);
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<InvalidDataException>(() => Hdf5File.Open(path));
            Assert.StartsWith($"{path}: not a readable HDF5 file", e.Message);
        }
    }

    [Fact]
    public void String_attributes_read_as_h5py_wrote_them()
    {
        using var file = Hdf5File.Open(h5py.Path);
        Assert.Equal("""{"class_name": "Sequential", "name": "π"}""", file.ReadStringAttribute("/", "model_config"));
        Assert.Equal("tensorflow", file.ReadStringAttribute("model_weights", "backend"));
        var missing = Assert.Throws<InvalidDataException>(() => file.ReadStringAttribute("", "training_config"));
        Assert.Equal($"{h5py.Path}: the root group has no attribute 'training_config'; its attributes: model_config, epochs", missing.Message);
        var number = Assert.Throws<InvalidDataException>(() => file.ReadStringAttribute("", "epochs"));
        Assert.Contains("attribute 'epochs' of the root group holds signed 64-bit integers, not a string", number.Message);
    }
}
