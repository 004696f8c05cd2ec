using System.Diagnostics;
using XaiGrid.Data;
using XaiGrid.Explain;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Bench;

/// <summary>
/// Explanation maps per second of every method of the catalog, made by <see cref="MethodCatalog.Create"/> so the
/// product's code is what is timed, against the same definitions and batching in python3-torch
/// (bench/python/explain.py). A repetition maps a fixed set of inputs (targets: their labels) with seeded random
/// weights: the MNIST-1D test sequences, or HMT test tiles spread over the classes. The sample-based methods on vgg7
/// map fewer tiles per repetition (their cost per map does not depend on how many there are), so that a repetition
/// takes tens of seconds rather than an hour on a busy machine.
/// </summary>
public static class ExplainBench
{
    private const int MaxBatch = 128;

    /// <summary>One method's settings on one model, and how many inputs a repetition maps (all when null).</summary>
    private sealed record MethodSetup(string Method, Dictionary<string, string> Parameters, int? Inputs = null);

    private sealed record Setup(string Arch, Func<string, LabeledDataset> Load, MethodSetup[] Methods);

    private static readonly Setup[] Setups =
    [
        new("mnist1d-cnn", root => Mnist1D.Load(Path.Combine(root, "mnist1d")).ToDatasetSplit().TakeTest(),
        [
            new("gradient", []),
            new("gradient-x-input", []),
            new("smoothgrad", new() { ["n"] = "25", ["sigma"] = "0.15" }),
            new("integrated-gradients", new() { ["steps"] = "50", ["rule"] = "trapezoid" }),
            new("gradcam", new() { ["layer"] = "conv3" }),
            new("gradcam++", new() { ["layer"] = "conv3" }),
            new("rise", new() { ["masks"] = "1000", ["cells"] = "8", ["p1"] = "0.5" }),
            new("occlusion", new() { ["window"] = "4", ["stride"] = "2" }),
            new("lime", new() { ["samples"] = "500", ["window"] = "4" }),
            new("influence", new() { ["layer"] = "conv2", ["doi"] = "point" }),
        ]),
        new("vgg7", HmtTiles,
        [
            new("gradient", []),
            new("gradient-x-input", []),
            new("smoothgrad", new() { ["n"] = "25", ["sigma"] = "0.15" }, 8),
            new("integrated-gradients", new() { ["steps"] = "50", ["rule"] = "trapezoid" }, 4),
            new("gradcam", new() { ["layer"] = "features.7" }),
            new("gradcam++", new() { ["layer"] = "features.7" }),
            new("rise", new() { ["masks"] = "500", ["cells"] = "8", ["p1"] = "0.5" }, 1),
            new("occlusion", new() { ["window"] = "15", ["stride"] = "15" }, 4),
            new("lime", new() { ["samples"] = "500", ["window"] = "25" }, 1),
            new("influence", new() { ["layer"] = "features.7", ["doi"] = "point" }),
        ]),
    ];

    private const int Tiles = 32;

    public static readonly string Usage =
        $"[{string.Join(",", Setups.Select(s => s.Arch))}] [--methods {string.Join(",", MethodCatalog.Names)}] [--inputs N]";

    /// <summary>
    /// Arguments: an optional comma-separated list of models, then --methods (a subset, all by default), --inputs (at
    /// most this many inputs per repetition) and <see cref="BenchOptions"/>.
    /// </summary>
    public static int Run(string[] args)
    {
        var chosen = Setups;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            var names = args[0].Split(',');
            var unknown = names.Except(Setups.Select(s => s.Arch)).ToArray();
            if (unknown.Length > 0) throw new ArgumentException($"explain knows the models {string.Join(", ", Setups.Select(s => s.Arch))}, not {string.Join(", ", unknown)}");
            chosen = Setups.Where(s => names.Contains(s.Arch)).ToArray();
            args = args[1..];
        }
        string[]? methods = null;
        int? inputs = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is not ("--methods" or "--inputs"))
            {
                rest.Add(args[i]);
                continue;
            }
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value; {Usage}");
            string v = args[++i];
            if (args[i - 1] == "--methods")
            {
                methods = v.Split(',');
                var unknown = methods.Where(m => !MethodCatalog.IsKnown(m)).ToArray();
                if (unknown.Length > 0) throw new ArgumentException($"unknown methods {string.Join(", ", unknown)}; known: {string.Join(", ", MethodCatalog.Names)}");
            }
            else
            {
                inputs = int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"--inputs takes a positive integer, got '{v}'");
            }
        }
        var o = BenchOptions.Parse([.. rest]);
        foreach (var setup in chosen)
            Run(setup, o, setup.Methods.Where(m => methods is null || methods.Contains(m.Method)).ToArray(), inputs);
        return 0;
    }

    private static void Run(Setup s, BenchOptions o, MethodSetup[] methods, int? inputLimit)
    {
        using var data = s.Load(DataSpec.DefaultRoot());
        // The python side has no image decoder, so it reads our tensors; both sides map the very same inputs.
        string exported = Directory.CreateTempSubdirectory("xaigrid-bench-").FullName;
        try
        {
            using var generator = new torch.Generator(0);
            using var model = ModelZoo.Create(s.Arch, data.NumClasses, data.InputShape, generator);
            foreach (var m in methods)
            {
                long count = Math.Min(data.Count, Math.Min(m.Inputs ?? int.MaxValue, inputLimit ?? int.MaxValue));
                using var inputs = data.Inputs.narrow(0, 0, count);
                using var labels = data.Labels.narrow(0, 0, count);
                string folder = Path.Combine(exported, m.Method);
                Directory.CreateDirectory(folder);
                Npy.save(Path.Combine(folder, "inputs.npy"), inputs);
                Npy.save(Path.Combine(folder, "labels.npy"), labels);
                long[] targets = labels.data<long>().ToArray();
                var method = MethodCatalog.Create(model, m.Method, m.Parameters, MaxBatch);

                void Rep()
                {
                    using var maps = method.Attribute(inputs, targets);
                    using var finite = maps.isfinite().all();
                    if (!finite.item<bool>()) throw new InvalidOperationException($"{m.Method} on {s.Arch}: a map is not finite");
                }

                // Python gets every parameter, defaults filled in, so both sides run the same settings.
                var effective = MethodCatalog.Parameters(m.Method).ToDictionary(p => p.Name, p => m.Parameters.GetValueOrDefault(p.Name, p.Default));
                string settings = string.Concat(m.Parameters.Select(p => $" {p.Key}={p.Value}"));
                string title = $"explain {s.Arch} {m.Method}{settings}: {count} maps of [{string.Join(", ", data.InputShape)}] per " +
                    $"repetition, max batch {MaxBatch}, float32; ms per map = 1000 / (maps/s)";
                Measure.Compare(title, Calibrated(o, Rep), Rep, "explain.py",
                    ["--model", s.Arch, "--data", folder, "--method", m.Method, "--max-batch", $"{MaxBatch}",
                     .. effective.SelectMany(p => new[] { "--set", $"{p.Key}={p.Value}" })],
                    count);
                Console.WriteLine();
            }
        }
        finally
        {
            Directory.Delete(exported, recursive: true);
        }
    }

    /// <summary>
    /// At least the asked warm-up and repetitions, and enough of each for a second of work: .NET compiles a method again,
    /// optimized, only after it has run a while, so a quick method's first repetitions would time unoptimized code, and
    /// the median of a few repetitions of a few milliseconds is at the mercy of any other process.
    /// </summary>
    private static BenchOptions Calibrated(BenchOptions o, Action rep)
    {
        long start = Stopwatch.GetTimestamp();
        rep();
        int perSecond = (int)Math.Min(200, Math.Ceiling(1 / Stopwatch.GetElapsedTime(start).TotalSeconds));
        return o with { Warmup = Math.Max(o.Warmup, perSecond - 1), Reps = Math.Max(o.Reps, perSecond) };
    }

    /// <summary><see cref="Tiles"/> HMT test tiles at even steps through the sorted folder, so every class is among them.</summary>
    private static LabeledDataset HmtTiles(string root)
    {
        using var all = ImageFolder.Load(Path.Combine(root, "hmt", "HMT_test"));
        return all.Subset(Enumerable.Range(0, Tiles).Select(k => k * all.Count / Tiles).ToArray());
    }

    private static LabeledDataset TakeTest(this DatasetSplit split)
    {
        split.Train.Dispose();
        return split.Test;
    }
}
