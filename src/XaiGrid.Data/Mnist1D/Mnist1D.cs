using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// The MNIST-1D dataset: sequences of one length with labels 0..9, split into train and test, plus the time axis
/// <c>t</c> used for plotting. Stored as a folder of <c>train.csv</c> and <c>test.csv</c> (header
/// <c>label,x0..x{n-1}</c>) and <c>t.csv</c> (one value a line), the layout of the published data.
/// </summary>
public sealed class Mnist1D
{
    public const string TrainFile = "train.csv";
    public const string TestFile = "test.csv";
    public const string TimeFile = "t.csv";

    public static readonly IReadOnlyList<string> ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public Mnist1D(double[][] trainX, int[] trainY, double[][] testX, int[] testY, double[] t)
    {
        CheckSplit("train", trainX, trainY, t.Length);
        CheckSplit("test", testX, testY, t.Length);
        TrainX = trainX;
        TrainY = trainY;
        TestX = testX;
        TestY = testY;
        T = t;
    }

    public double[][] TrainX { get; }

    public int[] TrainY { get; }

    public double[][] TestX { get; }

    public int[] TestY { get; }

    /// <summary>The time axis, one value per sequence position.</summary>
    public double[] T { get; }

    public int SequenceLength => T.Length;

    /// <summary>Runs the reference generator (<see cref="Mnist1DGenerator"/>); no options means the published defaults.</summary>
    public static Mnist1D Generate(Mnist1DOptions? options = null) => Mnist1DGenerator.Generate(options);

    /// <summary>Reads a folder holding train.csv, test.csv and t.csv.</summary>
    public static Mnist1D Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"MNIST-1D folder '{dir}' does not exist");
        string trainPath = RequireFile(dir, TrainFile), testPath = RequireFile(dir, TestFile), tPath = RequireFile(dir, TimeFile);
        var (trainX, trainY) = Mnist1DCsv.ReadSplit(trainPath);
        var (testX, testY) = Mnist1DCsv.ReadSplit(testPath);
        var t = Mnist1DCsv.ReadColumn(tPath);
        int len = trainX.Length > 0 ? trainX[0].Length : testX.Length > 0 ? testX[0].Length : t.Length;
        if (trainX.Length > 0 && testX.Length > 0 && testX[0].Length != len)
            throw new InvalidDataException($"{testPath}: {testX[0].Length} value columns, but {trainPath} has {len}");
        if (t.Length != len)
            throw new InvalidDataException($"{tPath}: {t.Length} values, expected one per sequence position ({len})");
        return new Mnist1D(trainX, trainY, testX, testY, t);
    }

    /// <summary>
    /// Writes train.csv, test.csv and t.csv into <paramref name="dir"/> (created if needed) in the published layout;
    /// every value reloads to the same double.
    /// </summary>
    public void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        Mnist1DCsv.WriteSplit(Path.Combine(dir, TrainFile), TrainX, TrainY);
        Mnist1DCsv.WriteSplit(Path.Combine(dir, TestFile), TestX, TestY);
        Mnist1DCsv.WriteColumn(Path.Combine(dir, TimeFile), T);
    }

    /// <summary>Train inputs as float32 (N, 1, L) and labels as int64 (N); the caller disposes both.</summary>
    public (Tensor X, Tensor Y) TrainTensors(Device? device = null) => ToTensors(TrainX, TrainY, device);

    /// <summary>Test inputs as float32 (N, 1, L) and labels as int64 (N); the caller disposes both.</summary>
    public (Tensor X, Tensor Y) TestTensors(Device? device = null) => ToTensors(TestX, TestY, device);

    /// <summary>Both splits as <see cref="LabeledDataset"/>s with class names "0".."9"; the caller disposes the split.</summary>
    public DatasetSplit ToDatasetSplit(Device? device = null)
    {
        var (trainX, trainY) = TrainTensors(device);
        var train = new LabeledDataset(trainX, trainY, ClassNames);
        try
        {
            var (testX, testY) = TestTensors(device);
            return new DatasetSplit(train, new LabeledDataset(testX, testY, ClassNames));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private (Tensor X, Tensor Y) ToTensors(double[][] xs, int[] ys, Device? device)
    {
        int len = SequenceLength;
        var flat = new float[xs.Length * len];
        for (int i = 0; i < xs.Length; i++)
            for (int j = 0; j < len; j++) flat[i * len + j] = (float)xs[i][j];
        var x = torch.tensor(flat, [xs.Length, 1, len], device: device);
        try
        {
            return (x, torch.tensor(Array.ConvertAll(ys, v => (long)v), [ys.Length], device: device));
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    private static void CheckSplit(string split, double[][] x, int[] y, int len)
    {
        if (x.Length != y.Length) throw new ArgumentException($"{split}: {x.Length} sequences but {y.Length} labels");
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i].Length != len)
                throw new ArgumentException($"{split} sequence {i} has {x[i].Length} values, expected {len} (the length of t)");
            if ((uint)y[i] >= ClassNames.Count)
                throw new ArgumentException($"{split} label {i} is {y[i]}, expected 0..{ClassNames.Count - 1}");
        }
    }

    private static string RequireFile(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"MNIST-1D file '{path}' is missing ('{dir}' must hold {TrainFile}, {TestFile} and {TimeFile})", path);
        return path;
    }
}

/// <summary>The CSV layout of the published MNIST-1D files.</summary>
internal static class Mnist1DCsv
{
    private static readonly UTF8Encoding Utf8NoBom = new(false);

    public static (double[][] X, int[] Y) ReadSplit(string path)
    {
        using var reader = new StreamReader(path, Utf8NoBom);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path}: the file is empty, expected the header label,x0,x1,...");
        var names = header.Split(',');
        if (names.Length < 2 || names[0] != "label" || names.Skip(1).Where((n, j) => n != $"x{j}").Any())
            throw new InvalidDataException($"{path}, line 1: header must be label,x0,x1,...,x{{n-1}}; got '{Shorten(header)}'");
        int len = names.Length - 1;
        var xs = new List<double[]>();
        var ys = new List<int>();
        int lineNo = 1;
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            lineNo++;
            var fields = line.Split(',');
            if (fields.Length != names.Length)
                throw new InvalidDataException($"{path}, line {lineNo}: {fields.Length} fields, expected {names.Length} (label and {len} values)");
            if (!int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) ||
                (uint)label >= Mnist1D.ClassNames.Count)
                throw new InvalidDataException($"{path}, line {lineNo}: label '{Shorten(fields[0])}' is not an integer in 0..{Mnist1D.ClassNames.Count - 1}");
            var x = new double[len];
            for (int j = 0; j < len; j++)
                if (!double.TryParse(fields[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out x[j]))
                    throw new InvalidDataException($"{path}, line {lineNo}: column {names[j + 1]} value '{Shorten(fields[j + 1])}' is not a number");
            xs.Add(x);
            ys.Add(label);
        }
        return (xs.ToArray(), ys.ToArray());
    }

    public static double[] ReadColumn(string path)
    {
        var values = new List<double>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path, Utf8NoBom))
        {
            lineNo++;
            if (!double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw new InvalidDataException($"{path}, line {lineNo}: '{Shorten(line)}' is not a number (one value a line expected)");
            values.Add(v);
        }
        return values.ToArray();
    }

    public static void WriteSplit(string path, double[][] x, int[] y)
    {
        int len = x.Length > 0 ? x[0].Length : 0;
        using var w = new StreamWriter(path, false, Utf8NoBom) { NewLine = "\n" };
        w.WriteLine("label," + string.Join(',', Enumerable.Range(0, len).Select(j => $"x{j}")));
        var line = new StringBuilder();
        for (int i = 0; i < x.Length; i++)
        {
            line.Clear().Append(y[i].ToString(CultureInfo.InvariantCulture));
            foreach (var v in x[i]) line.Append(',').Append(Format(v));
            w.WriteLine(line);
        }
    }

    public static void WriteColumn(string path, double[] values)
    {
        using var w = new StreamWriter(path, false, Utf8NoBom) { NewLine = "\n" };
        foreach (var v in values) w.WriteLine(Format(v));
    }

    /// <summary>
    /// The shortest text that reads back as the same double (.NET's "R"), laid out as Python's repr, which wrote the
    /// published files: positional for decimal exponents -4..15 with at least one digit after the point, otherwise
    /// <c>d.ddde±XX</c>. Non-finite values keep .NET's spelling, which the loader reads back.
    /// </summary>
    internal static string Format(double v)
    {
        if (!double.IsFinite(v)) return v.ToString("R", CultureInfo.InvariantCulture);
        var r = Math.Abs(v).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        var mantissa = e < 0 ? r : r[..e];
        int exp = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int point = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        // value = 0.<digits> × 10^pos
        int pos = (point < 0 ? mantissa.Length : point) + exp;
        int lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        var sign = double.IsNegative(v) ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";
        int x = pos - lead - 1; // the exponent of the first significant digit
        if (x >= 16 || x < -4)
        {
            var frac = digits.Length > 1 ? "." + digits[1..] : "";
            return $"{sign}{digits[0]}{frac}e{(x < 0 ? '-' : '+')}{Math.Abs(x):00}";
        }
        if (x < 0) return $"{sign}0.{new string('0', -x - 1)}{digits}";
        var whole = digits.Length > x + 1 ? digits[..(x + 1)] : digits.PadRight(x + 1, '0');
        var rest = digits.Length > x + 1 ? digits[(x + 1)..] : "0";
        return $"{sign}{whole}.{rest}";
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
