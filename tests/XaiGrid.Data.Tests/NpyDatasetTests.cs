using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Data.Tests;

public class NpyDatasetTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Mnist_loads_as_one_channel_images_in_0_1_with_the_published_class_counts()
    {
        var data = mnist.Data;
        Assert.Equal([10000L, 1, 28, 28], data.Inputs.shape);
        Assert.Equal(ScalarType.Float32, data.Inputs.dtype);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), data.ClassNames);
        using (var min = data.Inputs.min()) Assert.Equal(0f, min.item<float>());
        using (var max = data.Inputs.max()) Assert.Equal(1f, max.item<float>());
        // From the data set's README.
        long[] counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        var labels = data.LabelArray();
        Assert.Equal(counts, Enumerable.Range(0, 10).Select(c => (long)labels.Count(l => l == c)));
    }

    [Fact]
    public void Mnist_pixels_are_numpys_raw_values_over_255()
    {
        // Per image: its corner, and its first, middle and last nonzero pixel (row-major), with the label.
        const string script = """
            import sys, numpy as np
            a = np.load(sys.argv[1]); l = np.load(sys.argv[2])
            for i in (0, 4321, 9999):
                ys, xs = np.nonzero(a[i])
                for y, x in [(0, 0)] + [(ys[k], xs[k]) for k in (0, len(ys) // 2, len(ys) - 1)]:
                    print(i, y, x, a[i, y, x], l[i])
            """;
        var rows = TestData.Numbers(TestData.Python(script, TestData.MnistImages, TestData.MnistLabels)).Chunk(5).ToArray();
        Assert.Equal(12, rows.Length);
        Assert.Contains(rows, r => r[3] > 0);
        var labels = mnist.Data.LabelArray();
        foreach (var r in rows)
        {
            long i = (long)r[0], y = (long)r[1], x = (long)r[2];
            using var scope = torch.NewDisposeScope();
            var pixel = mnist.Data.Inputs[i][0][y][x];
            Assert.Equal((float)r[3] / 255f, pixel.item<float>());
            Assert.Equal((long)r[4], labels[i]);
        }
    }

    [Fact]
    public void Float_sequences_are_kept_as_they_are()
    {
        using var dir = new TempDir();
        string images = dir.File("x.npy"), labels = dir.File("y.npy");
        var values = Enumerable.Range(0, 3 * 2 * 5).Select(i => i * 0.25f - 3).ToArray();
        using (var x = torch.tensor(values, [3, 2, 5])) Npy.save(images, x);
        using (var y = torch.tensor(new int[] { 2, 0, 1 })) Npy.save(labels, y);
        using var data = NpyDataset.Load(images, labels, ["p", "q", "r"]);
        Assert.Equal([3L, 2, 5], data.Inputs.shape);
        Assert.Equal(values, data.Inputs.data<float>().ToArray());
        Assert.Equal([2L, 0, 1], data.LabelArray());
        Assert.Equal(["p", "q", "r"], data.ClassNames);
    }

    public static TheoryData<string, long[], string, long[], string> BadFiles => new()
    {
        // images dtype/shape, labels dtype/shape, the file the message must name and what else it says
        { "u8", [5, 4, 4], "i64", [4], "labels|expected 5 labels" },
        { "u8", [5, 4, 4], "f32", [5], "labels|must be integers" },
        { "u8", [5, 16], "i64", [5], "images|[5, 16]" },
        { "u8", [0, 4, 4], "i64", [0], "images|no items" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_files_are_refused_naming_the_file(string imageType, long[] imageShape, string labelType, long[] labelShape, string expect)
    {
        using var dir = new TempDir();
        string images = dir.File("images.npy"), labels = dir.File("labels.npy");
        using (var x = torch.zeros(imageShape, imageType == "u8" ? ScalarType.Byte : ScalarType.Float32)) Npy.save(images, x);
        using (var y = torch.zeros(labelShape, labelType == "i64" ? ScalarType.Int64 : ScalarType.Float32)) Npy.save(labels, y);
        var e = Assert.Throws<InvalidDataException>(() => NpyDataset.Load(images, labels));
        var parts = expect.Split('|');
        Assert.Contains(parts[0] == "images" ? images : labels, e.Message);
        Assert.Contains(parts[1], e.Message);
    }

    [Fact]
    public void Labels_outside_the_class_names_are_refused()
    {
        using var dir = new TempDir();
        string images = dir.File("images.npy"), labels = dir.File("labels.npy");
        using (var x = torch.zeros([3, 4, 4], ScalarType.Byte)) Npy.save(images, x);
        using (var y = torch.tensor(new long[] { 0, 2, 1 })) Npy.save(labels, y);
        var e = Assert.Throws<InvalidDataException>(() => NpyDataset.Load(images, labels, ["a", "b"]));
        Assert.Contains(labels, e.Message);
        using (var y = torch.tensor(new long[] { 0, -1, 1 })) Npy.save(labels, y);
        e = Assert.Throws<InvalidDataException>(() => NpyDataset.Load(images, labels));
        Assert.Contains("non-negative", e.Message);
    }
}
