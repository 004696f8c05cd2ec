using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

public class DeepLocTests
{
    private static string Hdf5 => TestData.File("deeploc", "Schuldiner_test_set.hdf5");

    /// <summary>A dataset of the shipped file as it stands (the reader is checked against h5py in Hdf5FileTests).</summary>
    private static Tensor Dataset(string name)
    {
        using var file = Hdf5File.Open(Hdf5);
        return file.Read(name);
    }

    [Fact]
    public void The_test_set_has_36_two_channel_cells_of_11_classes_labelled_by_the_one_hot_column()
    {
        using var data = DeepLoc.Load(Hdf5, stretch: false);
        Assert.Equal([36L, 2, 64, 64], data.Inputs.shape);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"class_{i}"), data.ClassNames);

        using var index = Dataset("Index1");
        Assert.Equal([36L, 11], index.shape);
        var onehot = index.data<byte>().ToArray();
        var argmax = Enumerable.Range(0, 36).Select(i => (long)Array.IndexOf(onehot, (byte)1, i * 11, 11) - i * 11).ToArray();
        Assert.All(argmax, a => Assert.InRange(a, 0, 10));
        Assert.Equal(argmax, data.LabelArray());
    }

    [Fact]
    public void Unstretched_inputs_are_data1_with_channel_c_in_columns_c_times_4096_on()
    {
        using var data = DeepLoc.Load(Hdf5, stretch: false);
        using var raw = Dataset("data1");
        Assert.Equal([36L, 8192], raw.shape);
        Assert.Equal(raw.data<double>().ToArray().Select(v => (float)v), data.Inputs.data<float>().ToArray());
    }

    [Fact]
    public void A_crop_of_60_is_the_centre_of_the_full_cells()
    {
        using var full = DeepLoc.Load(Hdf5, stretch: false);
        using var cropped = DeepLoc.Load(Hdf5, crop: 60, stretch: false);
        Assert.Equal([36L, 2, 60, 60], cropped.Inputs.shape);
        using var scope = torch.NewDisposeScope();
        TestData.AssertEqual(full.Inputs.narrow(2, 2, 60).narrow(3, 2, 60), cropped.Inputs);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(60)]
    public void Stretching_matches_numpy_percentiles_per_cell_and_channel(int crop)
    {
        using var dir = new TempDir();
        string rawPath = dir.File("raw.npy"), expectedPath = dir.File("expected.npy");
        using (var raw = Dataset("data1")) Npy.save(rawPath, raw);
        const string script = """
            import sys, numpy as np
            crop = int(sys.argv[3]); m = (64 - crop) // 2
            x = np.load(sys.argv[1]).reshape(-1, 2, 64, 64)[:, :, m:m + crop, m:m + crop].reshape(-1, 2, crop * crop)
            lo = np.percentile(x, 0.1, axis=2, keepdims=True)
            hi = np.percentile(x, 99.9, axis=2, keepdims=True)
            assert (hi > lo).all()
            np.save(sys.argv[2], ((x - lo) / (hi - lo)).astype(np.float32).reshape(-1, 2, crop, crop))
            """;
        TestData.Python(script, rawPath, expectedPath, crop.ToString());
        using var expected = Npy.load(expectedPath);
        using var data = DeepLoc.Load(Hdf5, crop: crop);
        TestData.AssertEqual(expected, data.Inputs);

        // Each stretched channel has its 0.1 and 99.9 percentiles at 0 and 1.
        var values = data.Inputs.data<float>().ToArray();
        for (int channel = 0; channel < 72; channel++)
        {
            var sorted = values.AsSpan(channel * crop * crop, crop * crop).ToArray().Select(v => (double)v).Order().ToArray();
            Assert.Equal(0, DeepLoc.Percentile(sorted, 0.1), 1e-6);
            Assert.Equal(1, DeepLoc.Percentile(sorted, 99.9), 1e-6);
        }
    }

    [Fact]
    public void Percentile_is_numpys_linear_percentile_to_the_bit()
    {
        double[] qs = [0, 0.1, 12.5, 33.3, 50, 66.6, 87.5, 99.9, 100];
        using var dir = new TempDir();
        const string script = """
            import sys, numpy as np
            rng = np.random.RandomState(3)
            # The first array has quantiles where a + t (b - a) and numpy's b - (1 - t) (b - a) differ in the last bit.
            arrays = [rng.normal(size=7) * 10 + 3, rng.normal(size=1), rng.normal(size=2), rng.exponential(size=7) * 1e3,
                      rng.randint(0, 5, size=40).astype(np.float64), rng.normal(size=3600) * 0.01 + 7]
            qs = [float(q) for q in sys.argv[2].split(",")]
            for k, a in enumerate(arrays):
                np.save(f"{sys.argv[1]}/{k}.npy", a)
                print(" ".join(repr(float(np.percentile(a, q))) for q in qs))
            """;
        var lines = TestData.Python(script, dir.Path, string.Join(",", qs)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        for (int k = 0; k < lines.Length; k++)
        {
            using var array = Npy.load(Path.Combine(dir.Path, $"{k}.npy"));
            var sorted = array.data<double>().ToArray().Order().ToArray();
            var expected = TestData.Numbers(lines[k]);
            for (int j = 0; j < qs.Length; j++)
                Assert.True(expected[j].Equals(DeepLoc.Percentile(sorted, qs[j])),
                    $"array {k} (n = {sorted.Length}), q = {qs[j]}: numpy {expected[j]:R}, ours {DeepLoc.Percentile(sorted, qs[j]):R}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(61)]
    [InlineData(66)]
    public void A_crop_must_leave_even_margins_inside_64(int crop)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DeepLoc.Load(Hdf5, crop: crop));
    }

    [Fact]
    public void A_missing_file_or_a_wrong_number_of_class_names_is_reported_with_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"xaigrid-no-such-{Guid.NewGuid():N}.hdf5");
        var e = Assert.Throws<FileNotFoundException>(() => DeepLoc.Load(missing));
        Assert.Contains(missing, e.Message);

        var names = Assert.Throws<ArgumentException>(() => DeepLoc.Load(Hdf5, classNames: DeepLoc.ChongClasses));
        Assert.Contains("19 class names for 11 classes", names.Message);
        Assert.Contains(Hdf5, names.Message);
    }
}
