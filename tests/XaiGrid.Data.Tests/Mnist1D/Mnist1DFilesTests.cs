using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

public class Mnist1DFilesTests
{
    [Fact]
    public void The_published_files_load_with_their_shapes_and_first_values()
    {
        var data = Mnist1D.Load(Mnist1DTestData.PublishedDir);
        Assert.Equal(4000, data.TrainX.Length);
        Assert.Equal(1000, data.TestX.Length);
        Assert.Equal(40, data.SequenceLength);
        Assert.Equal(2, data.TrainY[0]);
        Assert.Equal(-0.3320056673693902, data.TrainX[0][0]);
        Assert.Equal(-5.38753506670427, data.T[0]);
        Assert.Equal(5.38753506670427, data.T[^1]);
    }

    [Fact]
    public void Writing_the_published_data_gives_back_the_published_files_byte_for_byte()
    {
        var data = Mnist1D.Load(Mnist1DTestData.PublishedDir);
        using var dir = new Mnist1DTestData.TempDir();
        data.Write(dir.Path);
        foreach (var name in new[] { Mnist1D.TrainFile, Mnist1D.TestFile, Mnist1D.TimeFile })
            Assert.True(
                File.ReadAllBytes(Path.Combine(Mnist1DTestData.PublishedDir, name)).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(Path.Combine(dir.Path, name))),
                $"{name} differs from the published file");
    }

    [Fact]
    public void Write_then_load_is_bit_exact()
    {
        var data = Mnist1D.Generate(new Mnist1DOptions { Seed = 11, NumSamples = 300, FinalSeqLength = 33, TrainSplit = 0.7 });
        using var dir = new Mnist1DTestData.TempDir();
        var sub = Path.Combine(dir.Path, "nested", "mnist1d");
        data.Write(sub);
        var back = Mnist1D.Load(sub);
        Assert.Equal(data.TrainY, back.TrainY);
        Assert.Equal(data.TestY, back.TestY);
        Assert.Equal(Bits(data.TrainX), Bits(back.TrainX));
        Assert.Equal(Bits(data.TestX), Bits(back.TestX));
        Assert.Equal(Bits([data.T]), Bits([back.T]));
    }

    [Fact]
    public void Values_are_spelled_as_pythons_repr()
    {
        double[] values =
        [
            1e-05, -3.2248953938433956e-05, 0.0001, 0.00012345, 2.0, -0.0, 0.0, 0.1, 123.456, 1e15, 1234567890123456.0,
            1e16, 1.5e16, 1.7976931348623157e308, 5e-324, -2.5e-300, 0.3320056673693902, 100.0, 12345678.9,
        ];
        var script = $"print(' '.join(repr(float.fromhex(h)) for h in '{string.Join(" ", values.Select(Hex))}'.split()))";
        var expected = Mnist1DTestData.RunNumpy(script).Trim().Split(' ');
        Assert.Equal(expected, values.Select(Mnist1DCsv.Format).ToArray());
    }

    /// <summary>C99 hex-float text of a double, which Python's float.fromhex reads exactly.</summary>
    private static string Hex(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        var sign = bits < 0 ? "-" : "";
        int exp = (int)((bits >> 52) & 0x7ff);
        long frac = bits & 0xfffffffffffffL;
        return exp == 0 ? $"{sign}0x0.{frac:x13}p-1022" : $"{sign}0x1.{frac:x13}p{exp - 1023}";
    }

    [Fact]
    public void Tensors_are_float32_n_1_l_with_int64_labels()
    {
        var data = Mnist1D.Generate(new Mnist1DOptions { NumSamples = 100 });
        var (x, y) = data.TrainTensors();
        using (x)
        using (y)
        {
            Assert.Equal([80L, 1, 40], x.shape);
            Assert.Equal(ScalarType.Float32, x.dtype);
            Assert.Equal([80L], y.shape);
            Assert.Equal(ScalarType.Int64, y.dtype);
            Assert.Equal(data.TrainX.SelectMany(r => r).Select(v => (float)v).ToArray(), x.data<float>().ToArray());
            Assert.Equal(data.TrainY.Select(v => (long)v).ToArray(), y.data<long>().ToArray());
        }
        using var split = data.ToDatasetSplit();
        Assert.Equal(80, split.Train.Count);
        Assert.Equal(20, split.Test.Count);
        Assert.Equal([1L, 40], split.Test.InputShape);
        Assert.Equal(10, split.Test.NumClasses);
        Assert.Equal(data.TestY.Select(v => (long)v).ToArray(), split.Test.LabelArray());
    }

    [Fact]
    public void A_missing_folder_or_file_is_named()
    {
        using var dir = new Mnist1DTestData.TempDir();
        var missing = Path.Combine(dir.Path, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => Mnist1D.Load(missing)).Message);

        Mnist1D.Generate(new Mnist1DOptions { NumSamples = 20 }).Write(dir.Path);
        File.Delete(Path.Combine(dir.Path, Mnist1D.TimeFile));
        var e = Assert.Throws<FileNotFoundException>(() => Mnist1D.Load(dir.Path));
        Assert.Equal(Path.Combine(dir.Path, Mnist1D.TimeFile), e.FileName);
        Assert.Contains("t.csv", e.Message);
    }

    [Theory]
    [InlineData("train.csv", 3, "2,0.5,abc", "train.csv, line 3: column x1 value 'abc' is not a number")]
    [InlineData("test.csv", 2, "4,0.5,0.25,0.125", "test.csv, line 2: 4 fields, expected 3")]
    [InlineData("train.csv", 4, "3,0.5", "train.csv, line 4: 2 fields, expected 3")]
    [InlineData("train.csv", 1, "label,x0,y1", "train.csv, line 1: header must be label,x0,x1")]
    [InlineData("t.csv", 2, "", "t.csv, line 2: '' is not a number")]
    public void A_malformed_row_is_reported_with_file_and_line(string file, int line, string replacement, string message)
    {
        using var dir = new Mnist1DTestData.TempDir();
        new Mnist1D([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [1, 2, 3], [[0.7, 0.8], [0.9, 1.0]], [4, 5], [-1, 1]).Write(dir.Path);
        var path = Path.Combine(dir.Path, file);
        var lines = File.ReadAllLines(path);
        lines[line - 1] = replacement;
        File.WriteAllLines(path, lines);
        var e = Assert.Throws<InvalidDataException>(() => Mnist1D.Load(dir.Path));
        Assert.Contains(message, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_label_outside_0_to_9_or_a_short_time_axis_is_rejected()
    {
        using var dir = new Mnist1DTestData.TempDir();
        new Mnist1D([[0.1, 0.2]], [1], [[0.7, 0.8]], [4], [-1, 1]).Write(dir.Path);
        var train = Path.Combine(dir.Path, Mnist1D.TrainFile);
        File.WriteAllText(train, "label,x0,x1\n10,0.1,0.2\n");
        Assert.Contains("train.csv, line 2: label '10'", Assert.Throws<InvalidDataException>(() => Mnist1D.Load(dir.Path)).Message);

        File.WriteAllText(train, "label,x0,x1\n1,0.1,0.2\n");
        File.WriteAllText(Path.Combine(dir.Path, Mnist1D.TimeFile), "-1\n");
        Assert.Contains("t.csv: 1 values, expected one per sequence position (2)",
            Assert.Throws<InvalidDataException>(() => Mnist1D.Load(dir.Path)).Message);

        Assert.Throws<ArgumentException>(() => new Mnist1D([[0.1, 0.2]], [10], [], [], [-1, 1]));
        Assert.Throws<ArgumentException>(() => new Mnist1D([[0.1]], [1], [], [], [-1, 1]));
    }

    private static long[] Bits(double[][] rows) => rows.SelectMany(r => r).Select(BitConverter.DoubleToInt64Bits).ToArray();
}
