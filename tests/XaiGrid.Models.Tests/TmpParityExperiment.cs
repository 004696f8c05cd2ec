using Xunit.Abstractions;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using XaiGrid.Torch;

namespace XaiGrid.Models.Tests;

public class TmpParityExperiment(ITestOutputHelper output)
{
    [Fact]
    public void Run()
    {
        using var data = DataSpec.Load("mnist");
        output.WriteLine("labels " + string.Join(",", data.Train.LabelArray().Take(10)));
        using var g = new torch.Generator(0);
        using var model = new MnistCnn(10, 0.0, g);
        var options = new TrainingOptions { Optimizer = "adam", LearningRate = 2e-3, BatchSize = 64, Epochs = 4, Seed = 0, Shuffle = false };
        var result = Trainer.Train(model, data, options, progress: p => { if (p.Step <= 5 || p.Step == 51 || p.Step == 125) output.WriteLine($"step {p.Step - 1} {p.LastLoss:F6}"); });
        foreach (var r in result.History) output.WriteLine(r.ToString());
    }
}
