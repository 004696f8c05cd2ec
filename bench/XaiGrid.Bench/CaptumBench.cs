using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using XaiGrid.Data;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Bench;

/// <summary>
/// The whole <c>xaigrid explain</c> process against the whole python process that computes the same maps with Captum
/// (bench/python/captum_explain.py), on 10,000 MNIST-1D sequences: start to exit, interpreter and runtime start, imports,
/// loading, computing and writing the maps included. Once, in a temporary folder: the MNIST-1D generator (seed 42,
/// 12,500 sequences, 2,500 to train on, the 10,000 others explained, their true labels the targets) and a mnist1d-cnn
/// trained by <c>xaigrid train</c> (Adam, lr 1e-2, 2000 steps in order). Then per method, repetitions of the two
/// processes interleaved (ours, then Captum's), each with one libtorch thread, and the maps of both sides compared.
/// </summary>
public static class CaptumBench
{
    public const string Usage = "[--captum DIR (default $CAPTUM_PATH)] [--methods gradient,smoothgrad,integrated-gradients,gradcam] " +
        "[--reps 5] [--warmup 1] [--threads 1] [--python /usr/bin/python3]";

    private const int Inputs = 10_000;

    private sealed record MethodSetup(string Method, string[] Parameters);

    private static readonly MethodSetup[] Methods =
    [
        new("gradient", []),
        new("smoothgrad", ["n=25", "sigma=0.15"]),
        new("integrated-gradients", ["steps=50"]),
        new("gradcam", ["layer=conv3"]),
    ];

    /// <summary>The xaigrid users run: as scripts/setup.sh published it (bench/run.sh captum publishes it first).</summary>
    private static readonly string Xaigrid = Measure.RepoFile("build", "xaigrid", "xaigrid.dll");

    public static int Run(string[] args)
    {
        string? captum = Environment.GetEnvironmentVariable("CAPTUM_PATH");
        string[] methods = Methods.Select(m => m.Method).ToArray();
        int reps = 5, warmup = 1, threads = 1;
        string python = "/usr/bin/python3";
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value; captum {Usage}");
            string v = args[i + 1];
            switch (args[i])
            {
                case "--captum": captum = v; break;
                case "--methods":
                    methods = v.Split(',');
                    var unknown = methods.Except(Methods.Select(m => m.Method)).ToArray();
                    if (unknown.Length > 0) throw new ArgumentException($"captum compares {string.Join(", ", Methods.Select(m => m.Method))}, not {string.Join(", ", unknown)}");
                    break;
                case "--reps": reps = Positive("--reps", v); break;
                case "--warmup": warmup = int.TryParse(v, out var w) && w >= 0 ? w : throw new ArgumentException($"--warmup takes a non-negative integer, got '{v}'"); break;
                case "--threads": threads = Positive("--threads", v); break;
                case "--python": python = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}; captum {Usage}");
            }
        }
        if (captum is null || !File.Exists(Path.Combine(captum, "captum", "__init__.py")))
        {
            Console.Error.WriteLine($"captum: no Captum source at '{captum}'. Captum is not part of XaiGrid; get its source and pass its folder:\n" +
                "  git clone --branch v0.7.0 --depth 1 https://github.com/pytorch/captum /tmp/captum\n" +
                "  bench/run.sh captum --captum /tmp/captum        (or: export CAPTUM_PATH=/tmp/captum)\n" +
                "It needs only python3-torch and numpy, plus python3-matplotlib (captum.attr imports it) and python3-tqdm.");
            return 2;
        }
        if (!File.Exists(Xaigrid)) throw new InvalidOperationException($"no {Xaigrid}: run scripts/setup.sh, or bench/run.sh captum, which publishes it");
        captum = Path.GetFullPath(captum);
        string script = Measure.RepoFile("bench", "python", "captum_explain.py");

        string folder = Directory.CreateTempSubdirectory("xaigrid-captum-").FullName;
        try
        {
            var versions = JsonDocument.Parse(Run(python, [script, "--captum", captum, "--threads", $"{threads}", "--versions"], threads).Trim().Split('\n')[^1]).RootElement;
            string X = Path.Combine(folder, "X.npy"), Y = Path.Combine(folder, "Y.npy"), trained = Path.Combine(folder, "W.safetensors"),
                W = Path.Combine(folder, "W.pt");
            string data = Path.Combine(folder, "mnist1d");
            Console.WriteLine($"captum: preparing {Inputs} MNIST-1D sequences and mnist1d-cnn weights in {folder}");
            Run("dotnet", [Xaigrid, "mnist1d", "generate", "--seed", "42", "--num-samples", $"{Inputs * 5 / 4}", "--train-split", "0.2", "--out", data], threads);
            var train = Stopwatch.StartNew();
            Run("dotnet", [Xaigrid, "train", "--arch", "mnist1d-cnn", "--data", data, "--lr", "1e-2", "--steps", "2000", "--no-shuffle",
                "--threads", $"{threads}", "--out", trained], threads);
            Console.WriteLine($"trained in {train.Elapsed.TotalSeconds:F0} s");
            // Both sides load one torch.save-format checkpoint: Captum's with torch.load, ours through TorchSharp.PyBridge.
            var weights = SafeTensors.load_file(trained);
            try
            {
                PyTorchPickler.PickleStateDict(W, weights);
            }
            finally
            {
                foreach (var t in weights.Values) t.Dispose();
            }
            var mnist = Mnist1D.Load(data);
            var (x, y) = mnist.TestTensors();
            using (x)
            using (y)
            {
                if (x.size(0) != Inputs) throw new InvalidOperationException($"the generator made {x.size(0)} test sequences, not {Inputs}");
                Npy.save(X, x);
                Npy.save(Y, y);
            }

            Console.WriteLine();
            Console.WriteLine($"ours:   xaigrid explain ({Xaigrid}, ReadyToRun), TorchSharp {TorchSharpVersion()}, libtorch {LibtorchVersion().Replace('/', ' ')} (torch.__version__ in TorchSharp: {torch.__version__})");
            Console.WriteLine($"Captum: {python} bench/python/captum_explain.py, captum {versions.GetProperty("captum").GetString()} from {captum}, " +
                $"Debian python3-torch {versions.GetProperty("torch").GetString()} (its own libtorch)");
            Console.WriteLine($"{Inputs} maps of [1, 40] per process, targets the true labels, {threads} libtorch thread(s) (OMP_NUM_THREADS={threads} on both); " +
                $"whole processes, start to exit; median of {reps} interleaved repetitions after {warmup} warm-up each; {Environment.ProcessorCount} cores");
            Console.WriteLine();
            Console.WriteLine($"{"method",-22}{"ours s (min-max)",-22}{"Captum s (min-max)",-22}{"Captum/ours",12}  load average 1 min (before, after)");
            var agreement = new List<string>();
            foreach (var m in Methods.Where(m => methods.Contains(m.Method)))
            {
                string oursMaps = Path.Combine(folder, $"ours-{m.Method}.npy"), captumMaps = Path.Combine(folder, $"captum-{m.Method}.npy");
                string[] oursArgs = [Xaigrid, "explain", "--arch", "mnist1d-cnn", "--weights", W, "--inputs", X, "--targets", Y,
                    "--method", m.Method, .. m.Parameters.SelectMany(p => new[] { "--set", p }), "--threads", $"{threads}", "--out", oursMaps];
                string[] captumArgs = [script, "--captum", captum, "--threads", $"{threads}", "--weights", W, "--inputs", X, "--targets", Y,
                    "--method", m.Method, .. m.Parameters.SelectMany(p => new[] { "--set", p }), "--out", captumMaps];
                for (int i = 0; i < warmup; i++)
                {
                    Time("dotnet", oursArgs, threads);
                    Time(python, captumArgs, threads);
                }
                string loadBefore = Measure.LoadAverage();
                var ours = new List<double>();
                var theirs = new List<double>();
                for (int i = 0; i < reps; i++)
                {
                    ours.Add(Time("dotnet", oursArgs, threads));
                    theirs.Add(Time(python, captumArgs, threads));
                }
                Console.WriteLine($"{m.Method,-22}{Cell(ours),-22}{Cell(theirs),-22}{Measure.Median(theirs) / Measure.Median(ours),12:F2}  {loadBefore}, {Measure.LoadAverage()}");
                agreement.Add(Compare(m.Method, oursMaps, captumMaps));
            }
            Console.WriteLine();
            Console.WriteLine("agreement of the maps (relative differences are to the largest |map value| of ours):");
            foreach (var line in agreement) Console.WriteLine(line);
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Cell(List<double> t) => $"{Measure.Median(t):F2} ({t.Min():F2}-{t.Max():F2})";

    /// <summary>How far Captum's maps are from ours, by what the two definitions share.</summary>
    private static string Compare(string method, string oursPath, string captumPath)
    {
        using var scope = torch.NewDisposeScope();
        var a = Npy.load(oursPath).to(ScalarType.Float64);
        var b = Npy.load(captumPath).to(ScalarType.Float64);
        if (!a.shape.SequenceEqual(b.shape)) return $"  {method}: shapes differ, ours [{string.Join(", ", a.shape)}], Captum [{string.Join(", ", b.shape)}]";
        double scale = a.abs().max().ToDouble();
        double Rel(Tensor u, Tensor v) => (u - v).abs().max().ToDouble() / scale;
        double correlation = torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1].ToDouble();
        // A ReLU that flips at one path point (float rounding of a point) moves a whole map: say how many maps differ.
        string Off(Tensor u, Tensor v)
        {
            var perMap = (u - v).abs().flatten(1).amax([1]) / scale;
            return $"{perMap.gt(1e-5).sum().ToInt64()} of {perMap.size(0)} maps off by more than 1e-5";
        }
        string common = $"max |Captum - ours| / max |ours| = {Rel(b, a):E2} ({Off(b, a)}), correlation {correlation:F6}";
        switch (method)
        {
            case "integrated-gradients":
                // Captum's riemann_trapezoid weighs its n points 1/n, halved at the ends: the weights sum to (n-1)/n.
                double expected = 49.0 / 50;
                double ratio = (a * b).sum().ToDouble() / (a * a).sum().ToDouble();
                return $"  {method}: Captum/ours by least squares {ratio:F6} (expected (n-1)/n = {expected:F6}); " +
                    $"max |Captum - (n-1)/n ours| / max |ours| = {Rel(b, a * expected):E2} ({Off(b, a * expected)}); correlation {correlation:F6}";
            case "smoothgrad":
                // Different noise draws: only statistics can agree.
                var perMapA = a.flatten(1).mean([1]);
                var perMapB = b.flatten(1).mean([1]);
                double mapCorrelation = torch.corrcoef(torch.stack([perMapA, perMapB]))[0, 1].ToDouble();
                return $"  {method} (different noise draws): mean ours {a.mean().ToDouble():E3}, Captum {b.mean().ToDouble():E3}; " +
                    $"mean |map| ours {a.abs().mean().ToDouble():E3}, Captum {b.abs().mean().ToDouble():E3}; correlation of all values {correlation:F4}, " +
                    $"of per-map means {mapCorrelation:F4}";
            default:
                return $"  {method}: {common}";
        }
    }

    /// <summary>Seconds from start to exit of the whole process; its output is kept and shown only if it fails.</summary>
    private static double Time(string file, string[] args, int threads)
    {
        long start = Stopwatch.GetTimestamp();
        Run(file, args, threads);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static string Run(string file, string[] args, int threads)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = $"{threads}";
        info.Environment["MKL_NUM_THREADS"] = $"{threads}";
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(" ", args)} exited with {p.ExitCode}:\n{stdout}{stderr.Result}");
        return stdout;
    }

    private static string TorchSharpVersion() =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>The libtorch-cpu package xaigrid is published with, from its deps.json.</summary>
    private static string LibtorchVersion()
    {
        string deps = Path.ChangeExtension(Xaigrid, ".deps.json");
        if (!File.Exists(deps)) return "?";
        using var doc = JsonDocument.Parse(File.ReadAllText(deps));
        foreach (var target in doc.RootElement.GetProperty("libraries").EnumerateObject())
            if (target.Name.StartsWith("libtorch-c", StringComparison.OrdinalIgnoreCase))
                return target.Name;
        return "?";
    }

    private static int Positive(string name, string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} takes a positive integer, got '{v}'");
}
