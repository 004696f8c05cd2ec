using System.CommandLine;
using Spectre.Console;
using XaiGrid.Data;
using XaiGrid.Models.Training;
using XaiGrid.Torch;

namespace XaiGrid.Cli.Commands;

/// <summary>
/// <c>xaigrid quickstart</c>: the end-to-end smoke job of a fresh checkout. Trains mnist-cnn on the MNIST digits
/// (seeded 8000/2000 split) and writes gradient saliency maps of the first test digits.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => "runs/quickstart" };
        var epochs = new Option<int>("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 2 };
        var command = new Command("quickstart", "Train mnist-cnn on MNIST and write gradient saliency maps") { output, epochs };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            using var split = DataSpec.Load("mnist");
            var options = new TrainingOptions { Optimizer = "adam", LearningRate = 1e-3, BatchSize = 64, Epochs = parse.GetValue(epochs), Seed = 0 };
            var weights = Path.Combine(dir, "mnist-cnn.safetensors");
            int status = TrainCommand.Train("mnist-cnn", "mnist", split, options, weights, Path.Combine(dir, "metrics.json"));
            if (status != 0) return status;

            using var model = Models.Architectures.ModelZoo.Create("mnist-cnn");
            Trainer.LoadWeights(weights, model);
            var png = Path.Combine(dir, "saliency.png");
            WriteSaliency(model, split.Test, 8, png);
            AnsiConsole.MarkupLineInterpolated($"saliency maps of {8} test digits: {png}");
            return 0;
        }));
        return command;
    }

    /// <summary>Top row: the digits; bottom row: |dS_c/dx| of the predicted class c, as a heat overlay.</summary>
    private static void WriteSaliency(Models.Architectures.Classifier model, LabeledDataset test, int count, string path)
    {
        using var scope = torch.NewDisposeScope();
        model.eval();
        var x = test.Inputs.narrow(0, 0, count).clone().requires_grad_();
        var logits = model.call(x);
        var predicted = logits.argmax(1, keepdim: true);
        logits.gather(1, predicted).sum().backward();
        var saliency = x.grad!.abs().squeeze(1);

        var digits = new List<Tensor>();
        var maps = new List<Tensor>();
        for (int i = 0; i < count; i++)
        {
            var digit = x[i].detach().expand(3, 28, 28);
            digits.Add(torch.vision.resize(digit, 112, 112, torch.vision.InterpolationMode.Nearest));
            maps.Add(torch.vision.resize(torch.vision.overlay(digit, saliency[i], 0.6), 112, 112, torch.vision.InterpolationMode.Nearest));
        }
        var grid = torch.cat([torch.cat(digits, 2), torch.cat(maps, 2)], 1);
        torch.vision.io.write_png(grid, path);
    }
}
