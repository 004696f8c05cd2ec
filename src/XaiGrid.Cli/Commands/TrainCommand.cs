using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Cli.Commands;

/// <summary><c>xaigrid train</c>: trains one model and writes its weights and metrics.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = $"architecture: {string.Join(", ", ModelZoo.Names)}, or a model .yaml file", Required = true };
        var data = new Option<string>("--data") { Description = DataSpec.Description, Required = true };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd or adam", DefaultValueFactory = _ => "adam" };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-3 };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9 };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum (SGD)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "L2 weight decay (default: the architecture's recommendation, else 0)" };
        var batchSize = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => 100 };
        var epochs = new Option<int?>("--epochs") { Description = "number of epochs" };
        var steps = new Option<long?>("--steps") { Description = "number of optimizer steps (instead of epochs)" };
        var seed = new Option<ulong>("--seed") { Description = "seed of initialization, shuffling, augmentation and dropout", DefaultValueFactory = _ => 0 };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "take batches in order (the MNIST-1D reference recipe)" };
        var schedule = new Option<string>("--schedule") { Description = "lr schedule: none, step or cosine", DefaultValueFactory = _ => "none" };
        var stepSize = new Option<int>("--step-size") { Description = "StepLR period in epochs", DefaultValueFactory = _ => 30 };
        var gamma = new Option<double>("--gamma") { Description = "StepLR factor", DefaultValueFactory = _ => 0.1 };
        var flip = new Option<bool>("--augment-flip") { Description = "random horizontal and vertical flips" };
        var crop = new Option<int>("--augment-crop") { Description = "random crops after zero padding by this many pixels", DefaultValueFactory = _ => 0 };
        var imageSize = new Option<int?>("--image-size") { Description = "resize images of an image folder to SIZE x SIZE" };
        var normalize = new Option<bool>("--normalize") { Description = "normalize channels by the training set's mean and std" };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads" };
        var device = DeviceOption.Create();
        var output = new Option<string>("--out") { Description = "weights file (.safetensors); W.best.safetensors is written beside it", Required = true };
        var metricsJson = new Option<string?>("--metrics-json") { Description = "metrics file: test accuracy, history, classification metrics" };

        var command = new Command("train", "Train a model; Ctrl-C saves a checkpoint that the same command resumes from")
        {
            arch, data, optimizer, lr, momentum, nesterov, weightDecay, batchSize, epochs, steps, seed, noShuffle, schedule, stepSize, gamma,
            flip, crop, imageSize, normalize, threads, device, output, metricsJson,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var on = DeviceOption.Resolve(parse, device);
            if (parse.GetValue(threads) is { } n) torch.set_num_threads(n);
            var archName = parse.GetValue(arch)!;
            var options = new TrainingOptions
            {
                Optimizer = parse.GetValue(optimizer)!, LearningRate = parse.GetValue(lr), Momentum = parse.GetValue(momentum),
                Nesterov = parse.GetValue(nesterov), WeightDecay = parse.GetValue(weightDecay) ?? ModelZoo.DefaultWeightDecay(archName),
                BatchSize = parse.GetValue(batchSize), Epochs = parse.GetValue(epochs), Steps = parse.GetValue(steps),
                Seed = parse.GetValue(seed), Shuffle = !parse.GetValue(noShuffle), Schedule = parse.GetValue(schedule)!,
                StepSize = parse.GetValue(stepSize), Gamma = parse.GetValue(gamma),
                Augmentation = new Augmentation(parse.GetValue(flip), parse.GetValue(flip), parse.GetValue(crop)),
            };
            if (options.Epochs is null && options.Steps is null) options = options with { Epochs = 10 };
            var dataSpec = parse.GetValue(data)!;
            using var split = DeviceOption.Move(
                DataSpec.Load(dataSpec, new DataSpecOptions { ImageSize = parse.GetValue(imageSize), Normalize = parse.GetValue(normalize) }), on);
            return Train(archName, dataSpec, split, options, parse.GetValue(output)!, parse.GetValue(metricsJson), on);
        }));
        return command;
    }

    internal static int Train(string archName, string dataSpec, DatasetSplit split, TrainingOptions options, string weightsPath, string? metricsPath,
        Device? device = null)
    {
        using var generator = new torch.Generator(options.Seed);
        using var model = ModelZoo.Create(archName, split.Train.NumClasses, split.Train.InputShape, generator);
        // Initialised on the CPU from the seeded generator (the same weights on every device), then moved to the data's device.
        model.to(device ?? torch.CPU);
        AnsiConsole.MarkupLineInterpolated(
            $"training [bold]{model.Arch}[/] on [bold]{dataSpec}[/]: {split.Train.Count} train, {split.Test.Count} test, {split.Train.NumClasses} classes, {model.parameters().Sum(p => p.numel())} parameters");
        var checkpoints = new CheckpointPaths(weightsPath);
        if (File.Exists(checkpoints.Resume)) AnsiConsole.MarkupLineInterpolated($"resuming from {checkpoints.Resume}");

        var cancel = CommandErrors.CancelOnCtrlC();
        TrainingResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("steps");
                result = Trainer.Train(model, split, options, checkpoints, p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    var epoch = p.LastEpoch is { } e ? $" | epoch {e.Epoch + 1}: test acc {e.TestAccuracy:P1}" : "";
                    task.Description = $"loss {p.LastLoss:F4}{epoch}";
                }, cancel);
            });

        if (!result.Completed)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]interrupted at step {result.Steps}; run the same command to resume[/]");
            return 130;
        }
        var report = Evaluation.Report(model, split.Test);
        AnsiConsole.MarkupLineInterpolated(
            $"test accuracy [bold]{report.Accuracy:P2}[/] (best {result.BestTestAccuracy:P2} at epoch {result.BestEpoch + 1}); weights: {weightsPath}");
        if (metricsPath is not null)
        {
            var json = new
            {
                arch = model.Arch,
                data = dataSpec,
                options,
                test_accuracy = report.Accuracy,
                best_epoch = result.BestEpoch,
                best_test_accuracy = result.BestTestAccuracy,
                steps = result.Steps,
                history = result.History,
                metrics = JsonDocument.Parse(report.ToJson()).RootElement,
            };
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(metricsPath))!);
            File.WriteAllText(metricsPath, JsonSerializer.Serialize(json, new JsonSerializerOptions
            {
                WriteIndented = true,
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
            }));
        }
        return 0;
    }
}
