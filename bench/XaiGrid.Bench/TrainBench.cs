using System.Globalization;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Bench;

/// <summary>
/// Training throughput (samples/s) of a model from the zoo with Adam and cross-entropy, against the same loop in
/// python3-torch (bench/python/train.py). Our step is Trainer.TrainStep's body (a dispose scope per step, the batch
/// gathered by the DataLoader, the loss read with item(), zero_grad, backward, step, the count of correct
/// predictions), so the number is what training in the product costs; python does the same operations. The models
/// have no dropout, so TrainStep's dropout generator is left out.
/// </summary>
public static class TrainBench
{
    private sealed record Setup(string Arch, int BatchSize, double Lr, int StepsPerRep);

    private static readonly Setup[] Setups =
    [
        new("mnist1d-cnn", 100, 1e-2, 200),
        new("vgg7", 32, 1e-3, 10),
    ];

    public static readonly string[] Models = Setups.Select(s => s.Arch).ToArray();

    /// <summary>Arguments: an optional comma-separated list of models (all by default), then <see cref="BenchOptions"/>.</summary>
    public static int Run(string[] args)
    {
        var chosen = Setups;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            var names = args[0].Split(',');
            var unknown = names.Except(Models).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"train knows the models {string.Join(", ", Models)}, not {string.Join(", ", unknown)}");
            chosen = Setups.Where(s => names.Contains(s.Arch)).ToArray();
            args = args[1..];
        }
        var o = BenchOptions.Parse(args);
        // As the xaigrid command line does (see NativeHeap), so the steps cost what they cost in the product.
        NativeHeap.KeepFreedMemory();
        foreach (var setup in chosen)
        {
            Run(setup, o);
            Console.WriteLine();
        }
        return 0;
    }

    private static void Run(Setup s, BenchOptions o)
    {
        string root = DataSpec.DefaultRoot();
        using var train = s.Arch == "mnist1d-cnn" ? Mnist1DTrain(root) : ImageFolder.Load(Path.Combine(root, "hmt", "HMT_train"));
        string? exported = null;
        try
        {
            string pythonData;
            if (s.Arch == "mnist1d-cnn")
            {
                pythonData = Path.Combine(root, "mnist1d", Mnist1D.TrainFile);
            }
            else
            {
                // HMT tiles are decoded by ImageSharp on our side; the python side reads our tensors, so both train on the same pixels.
                exported = pythonData = Directory.CreateTempSubdirectory("xaigrid-bench-").FullName;
                Npy.save(Path.Combine(exported, "inputs.npy"), train.Inputs);
                Npy.save(Path.Combine(exported, "labels.npy"), train.Labels);
            }

            using var generator = new torch.Generator(0);
            using var model = ModelZoo.Create(s.Arch, train.NumClasses, train.InputShape, generator);
            using var optimizer = torch.optim.Adam(model.parameters(), s.Lr);
            // Full batches only, so every step trains on BatchSize samples on both sides.
            var loader = new DataLoader(train, s.BatchSize, dropLast: true);
            model.train();
            long step = 0, correct = 0;

            void Rep()
            {
                for (int i = 0; i < s.StepsPerRep; i++, step++)
                {
                    using var scope = torch.NewDisposeScope();
                    var (inputs, labels) = loader.Batch(step / loader.BatchesPerEpoch, step % loader.BatchesPerEpoch);
                    scope.Attach(inputs, labels);
                    var logits = model.call(inputs);
                    var loss = F.cross_entropy(logits, labels);
                    double value = loss.ToDouble();
                    if (!double.IsFinite(value)) throw new InvalidOperationException($"{s.Arch}: loss {value} at step {step}");
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    using (torch.no_grad())
                        correct += logits.argmax(1).eq(labels).sum().item<long>();
                }
            }

            string lr = s.Lr.ToString("R", CultureInfo.InvariantCulture);
            string title = $"train {s.Arch}: {s.StepsPerRep} steps per repetition, batch {s.BatchSize} of " +
                $"[{string.Join(", ", train.InputShape)}], Adam lr {lr}, cross-entropy, float32 ({train.Count} training samples)";
            Measure.Compare(title, o, Rep, "train.py",
                ["--model", s.Arch, "--data", pythonData, "--batch", $"{s.BatchSize}", "--lr", lr, "--steps", $"{s.StepsPerRep}"],
                (long)s.StepsPerRep * s.BatchSize);
        }
        finally
        {
            if (exported is not null) Directory.Delete(exported, recursive: true);
        }
    }

    private static LabeledDataset Mnist1DTrain(string root)
    {
        var split = Mnist1D.Load(Path.Combine(root, "mnist1d")).ToDatasetSplit();
        split.Test.Dispose();
        return split.Train;
    }
}
