using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// A CNN for two-channel yeast cell images (DeepLoc layout, 64 x 64; 60 x 60 crops work too): three conv-ReLU-pool
/// blocks, features = Sequential(0 Conv2d(2,32,3,p1), 1 ReLU, 2 MaxPool2d(2), 3 Conv2d(32,64,3,p1), 4 ReLU,
/// 5 MaxPool2d(2), 6 Conv2d(64,128,3,p1), 7 ReLU, 8 MaxPool2d(2)), adaptive average pool to 4 x 4, then
/// classifier = Sequential(0 Dropout, 1 Linear(2048,256), 2 ReLU, 3 Dropout, 4 Linear(256, classes)).
/// 19 classes by default (Chong et al.).
/// </summary>
public sealed class YeastCnn : Classifier
{
    private readonly Sequential features, classifier;

    public YeastCnn(int numClasses = 19, long side = 64, double dropout = 0.5, Generator? generator = null)
        : base("yeast-cnn", [2, side, side], numClasses)
    {
        if (side < 8) throw new ArgumentException($"yeast-cnn needs inputs of at least 8 x 8 (three 2 x 2 max pools), got {side} x {side}");
        features = nn.Sequential(
            Init.reset_parameters(nn.Conv2d(2, 32, 3, padding: 1), generator), nn.ReLU(), nn.MaxPool2d(2),
            Init.reset_parameters(nn.Conv2d(32, 64, 3, padding: 1), generator), nn.ReLU(), nn.MaxPool2d(2),
            Init.reset_parameters(nn.Conv2d(64, 128, 3, padding: 1), generator), nn.ReLU(), nn.MaxPool2d(2));
        classifier = nn.Sequential(
            new SeededDropout(dropout), Init.reset_parameters(nn.Linear(128 * 4 * 4, 256), generator), nn.ReLU(),
            new SeededDropout(dropout), Init.reset_parameters(nn.Linear(256, numClasses), generator));
        register_module("features", features);
        register_module("classifier", classifier);
    }

    protected override bool AcceptsSize(long[] itemShape) => itemShape.Length == 3 && itemShape[0] == 2 && itemShape[1] >= 8 && itemShape[2] >= 8;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.adaptive_avg_pool2d(features.call(input), [4, 4]);
        return scope.MoveToOuter(classifier.call(pooled.flatten(1)));
    }
}
