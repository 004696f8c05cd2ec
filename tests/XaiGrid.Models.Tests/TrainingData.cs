using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

/// <summary>The shared data sets (../shared/data beside the checkout) and small subsets of them for training tests.</summary>
internal static class TrainingData
{
    // The CSV parse is the slow part of loading MNIST-1D; the arrays are plain managed memory, so one copy serves all tests.
    private static readonly Lazy<Data.Mnist1D> published = new(() => Data.Mnist1D.Load(Path.Combine(DataSpec.DefaultRoot(), "mnist1d")));

    /// <summary>The published MNIST-1D (4000 train, 1000 test); the caller disposes it.</summary>
    public static DatasetSplit Mnist1DFull() => published.Value.ToDatasetSplit();

    /// <summary>The first <paramref name="train"/> and <paramref name="test"/> sequences of the published MNIST-1D.</summary>
    public static DatasetSplit Mnist1D(int train, int test)
    {
        using var full = Mnist1DFull();
        return First(full, train, test);
    }

    /// <summary>The first items of the seeded 8000/2000 split of the MNIST digits (shuffled, so every class appears).</summary>
    public static DatasetSplit Mnist(int train, int test)
    {
        using var full = DataSpec.Load("mnist");
        return First(full, train, test);
    }

    private static DatasetSplit First(DatasetSplit full, int train, int test) =>
        new(full.Train.Subset(Range(train)), full.Test.Subset(Range(test)));

    private static long[] Range(int n) => Enumerable.Range(0, n).Select(i => (long)i).ToArray();

    /// <summary>A model initialized from <paramref name="seed"/>, as the CLI builds it for a run.</summary>
    public static Classifier Model(string arch, DatasetSplit data, ulong seed)
    {
        using var generator = new torch.Generator(seed);
        return ModelZoo.Create(arch, data.Train.NumClasses, data.Train.InputShape, generator);
    }

    /// <summary>Trains a fresh model and returns it with the result.</summary>
    public static (Classifier model, TrainingResult result) Train(string arch, DatasetSplit data, TrainingOptions options,
        CheckpointPaths? checkpoints = null)
    {
        var model = Model(arch, data, options.Seed);
        try
        {
            return (model, Trainer.Train(model, data, options, checkpoints));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
