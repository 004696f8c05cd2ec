using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// Two-class <see cref="LinearModel"/>s whose p_c a test computes on paper: class 0 has zero weights and bias, class 1
/// weights w (in the input's flattened order) and bias b, so p_1(x) = sigmoid(w . x + b) and p_0 = 1 - p_1.
/// </summary>
internal static class Logistic
{
    public static LinearModel Create(long[] inputShape, float[] w, float b) => new(inputShape, [.. new float[w.Length], .. w], [0, b]);

    public static double P1(float[] w, float b, double[] x) => 1 / (1 + Math.Exp(-(w.Zip(x, (wi, xi) => wi * xi).Sum() + b)));
}

/// <summary>An mnist1d-cnn trained briefly on the shared MNIST-1D data (Adam, lr 1e-2, 300 steps), once for the tests that share it.</summary>
public sealed class TrainedMnist1DCnn : IDisposable
{
    public TrainedMnist1DCnn()
    {
        using var generator = new torch.Generator(5);
        Model = new Mnist1DCnn(generator: generator);
        Data = DataSpec.Load("mnist1d");
        Result = Trainer.Train(Model, Data, new TrainingOptions { LearningRate = 1e-2, Steps = 300, Seed = 5 });
        Model.eval();
    }

    public Mnist1DCnn Model { get; }

    public DatasetSplit Data { get; }

    public TrainingResult Result { get; }

    public void Dispose()
    {
        Model.Dispose();
        Data.Dispose();
    }
}
