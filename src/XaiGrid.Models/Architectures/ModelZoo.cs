using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>Builds classifiers by architecture name; a name ending in .yaml or .yml is a layer-list model file.</summary>
public static class ModelZoo
{
    public static readonly string[] Names =
        ["mnist1d-cnn", "mnist1d-mlp", "mnist1d-logistic", "course-cnn1d", "vgg7", "yeast-cnn", "mnist-cnn", "vgg16"];

    /// <summary>
    /// A new model with PyTorch's default initialization drawn from <paramref name="generator"/>.
    /// <paramref name="inputShape"/> (C, L) or (C, H, W) sizes the architectures that take several sizes.
    /// </summary>
    public static Classifier Create(string arch, int? numClasses = null, long[]? inputShape = null, torch.Generator? generator = null)
    {
        if (arch.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || arch.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            return YamlModel.Load(arch, generator);
        var model = arch switch
        {
            "mnist1d-cnn" => (Classifier)new Mnist1DCnn(numClasses ?? 10, generator: generator),
            "mnist1d-mlp" => new Mnist1DMlp(numClasses ?? 10, generator: generator),
            "mnist1d-logistic" => new Mnist1DLogistic(numClasses ?? 10, generator: generator),
            "course-cnn1d" => new CourseCnn1D(numClasses ?? 10, (int)Size(inputShape, 2, 1, 40), generator: generator),
            "vgg7" => new Vgg7(numClasses ?? 8, Size(inputShape, 3, 1, 150), Size(inputShape, 3, 2, 150), generator),
            "yeast-cnn" => new YeastCnn(numClasses ?? 19, Size(inputShape, 3, 2, 64), generator: generator),
            "mnist-cnn" => new MnistCnn(numClasses ?? 10, generator: generator),
            "vgg16" => new Vgg16(numClasses ?? 1000, generator: generator),
            _ => throw new ArgumentException($"unknown architecture '{arch}'; known: {string.Join(", ", Names)}, or a model .yaml file"),
        };
        if (inputShape is not null)
        {
            using var probe = torch.zeros([1, .. inputShape]);
            try
            {
                model.CheckInput(probe);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        return model;
    }

    // A shape of the wrong rank sizes nothing: the model is built at its default size and CheckInput names both shapes.
    private static long Size(long[]? inputShape, int rank, int axis, long fallback) =>
        inputShape is not null && inputShape.Length == rank ? inputShape[axis] : fallback;

    /// <summary>The recommended weight decay of an architecture (the course's L2 of 5e-4), or 0.</summary>
    public static double DefaultWeightDecay(string arch) => arch switch
    {
        "course-cnn1d" => CourseCnn1D.RecommendedWeightDecay,
        "vgg7" => Vgg7.RecommendedWeightDecay,
        _ => 0,
    };
}
