using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// torchvision's VGG16 (configuration D, no batch norm) with its module names, so ImageNet weights exported from
/// torchvision as safetensors load as they are: features.0 .. features.30 (convs at 0, 2, 5, 7, 10, 12, 14, 17, 19,
/// 21, 24, 26, 28; max pools at 4, 9, 16, 23, 30), avgpool AdaptiveAvgPool2d(7, 7), classifier.0 Linear(25088,
/// 4096), .1 ReLU, .2 Dropout, .3 Linear(4096, 4096), .4 ReLU, .5 Dropout, .6 Linear(4096, 1000). Inputs are
/// 3 x 224 x 224 after <see cref="XaiGrid.Data.ImageNetPreprocessing"/>.
/// </summary>
public sealed class Vgg16 : Classifier
{
    private static readonly int[] Configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    private readonly Sequential features, classifier;
    private readonly AdaptiveAvgPool2d avgpool;

    public Vgg16(int numClasses = 1000, double dropout = 0.5, Generator? generator = null)
        : base("vgg16", [3, 224, 224], numClasses)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var width in Configuration)
        {
            if (width == 0)
            {
                layers.Add(nn.MaxPool2d(2));
                continue;
            }
            layers.Add(Init.reset_parameters(nn.Conv2d(channels, width, 3, padding: 1), generator));
            layers.Add(nn.ReLU());
            channels = width;
        }
        features = nn.Sequential(layers.ToArray());
        avgpool = nn.AdaptiveAvgPool2d([7, 7]);
        classifier = nn.Sequential(
            Init.reset_parameters(nn.Linear(512 * 7 * 7, 4096), generator), nn.ReLU(), new SeededDropout(dropout),
            Init.reset_parameters(nn.Linear(4096, 4096), generator), nn.ReLU(), new SeededDropout(dropout),
            Init.reset_parameters(nn.Linear(4096, numClasses), generator));
        register_module("features", features);
        register_module("avgpool", avgpool);
        register_module("classifier", classifier);
    }

    protected override bool AcceptsSize(long[] itemShape) => itemShape.Length == 3 && itemShape[0] == 3 && itemShape[1] >= 32 && itemShape[2] >= 32;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(classifier.call(avgpool.call(features.call(input)).flatten(1)));
    }
}
