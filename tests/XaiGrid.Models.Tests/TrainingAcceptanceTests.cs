using System.Diagnostics;
using Xunit.Abstractions;
using XaiGrid.Data;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

/// <summary>Full training runs on the real data sets, held to the published accuracies.</summary>
[CollectionDefinition(Name)]
public sealed class TrainingAcceptanceCollection
{
    // One collection: the runs take tens of seconds each and should not compete with one another for the cores.
    public const string Name = "training acceptance";
}

[Collection(TrainingAcceptanceCollection.Name)]
public class TrainingAcceptanceTests(ITestOutputHelper output)
{
    /// <summary>The MNIST-1D reference recipe (Greydanus 2020): Adam lr 1e-2, batch 100, 6000 steps over the batches in order.</summary>
    private static readonly TrainingOptions Mnist1DRecipe = new()
    {
        Optimizer = "adam", LearningRate = 1e-2, BatchSize = 100, Steps = 6000, Shuffle = false, WeightDecay = 0, Seed = 0,
    };

    private double TrainAndTest(string arch, DatasetSplit data, TrainingOptions options)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (model, result) = TrainingData.Train(arch, data, options);
        using (model)
        {
            Assert.True(result.Completed);
            Assert.All(result.History, r => Assert.True(double.IsFinite(r.TrainLoss) && double.IsFinite(r.TestLoss), r.ToString()));
            double accuracy = Evaluation.Predict(model, data.Test).Accuracy;
            output.WriteLine($"{arch}: test accuracy {accuracy:P2} (best {result.BestTestAccuracy:P2} at epoch {result.BestEpoch + 1}) " +
                             $"after {result.Steps} steps in {clock.Elapsed.TotalSeconds:F1} s " +
                             $"({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU)");
            return accuracy;
        }
    }

    [Fact]
    public void Mnist1DCnnReachesTheReferenceAccuracy()
    {
        using var data = TrainingData.Mnist1DFull();
        // Published: 94% for the CNN, 92.3% for this 5,210-parameter one with this recipe.
        Assert.True(TrainAndTest("mnist1d-cnn", data, Mnist1DRecipe) >= 0.92);
    }

    [Fact]
    public void Mnist1DLogisticRegressionReachesAboutAThird()
    {
        using var data = TrainingData.Mnist1DFull();
        // Published: 32%. Far above it would mean the data are easier than the published set (e.g. no shifts).
        Assert.InRange(TrainAndTest("mnist1d-logistic", data, Mnist1DRecipe), 0.28, 0.36);
    }

    [Fact]
    public void Mnist1DMlpReachesTheReferenceAccuracy()
    {
        using var data = TrainingData.Mnist1DFull();
        // Published: 68%.
        Assert.True(TrainAndTest("mnist1d-mlp", data, Mnist1DRecipe) >= 0.65);
    }

    [Fact]
    public void MnistCnnReaches97PercentOnTheDigits()
    {
        using var data = DataSpec.Load("mnist");
        Assert.Equal(8000, data.Train.Count);
        Assert.Equal(2000, data.Test.Count);
        // At a constant rate the last epochs' test accuracy swings by half a percent around 97% (in PyTorch as here, whose
        // losses match PyTorch's step for step from the same initialization); annealing the rate settles it near 97.5-98%.
        var options = new TrainingOptions { Optimizer = "adam", LearningRate = 2e-3, BatchSize = 64, Epochs = 4, Seed = 0, Schedule = "cosine" };
        Assert.True(TrainAndTest("mnist-cnn", data, options) >= 0.97);
    }

    [Fact]
    public void YeastCnnTrainsOnTheDeepLocFile()
    {
        using var data = DataSpec.Load(Path.Combine(DataSpec.DefaultRoot(), "deeploc", "Schuldiner_test_set.hdf5"));
        Assert.Equal(36, data.Train.Count + data.Test.Count);
        Assert.Equal(11, data.Train.NumClasses);
        Assert.Equal(new long[] { 2, 64, 64 }, data.Train.InputShape);

        var options = new TrainingOptions { Optimizer = "adam", LearningRate = 1e-3, BatchSize = 8, Epochs = 4, Seed = 0, Augmentation = new(true, true) };
        var (model, result) = TrainingData.Train("yeast-cnn", data, options);
        using (model)
        {
            Assert.Equal(11, model.NumClasses);
            Assert.Equal(4, result.History.Count);
            Assert.All(result.History, r => Assert.True(double.IsFinite(r.TrainLoss) && double.IsFinite(r.TestLoss), r.ToString()));
            output.WriteLine(string.Join("\n", result.History));

            var predictions = Evaluation.Predict(model, data.Test);
            Assert.Equal(data.Test.Count, predictions.Probabilities.Length);
            Assert.All(predictions.Probabilities, p => Assert.Equal(11, p.Length));
            model.eval();
            using var noGrad = torch.no_grad();
            using var logits = model.call(data.Test.Inputs);
            Assert.Equal(new[] { data.Test.Count, 11L }, logits.shape);
        }
    }
}
