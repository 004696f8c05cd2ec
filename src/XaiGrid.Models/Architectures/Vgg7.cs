using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// VGG-7 for HMT histology tiles: features = Sequential(0 Conv2d(3,32,3,p1), 1 ReLU, 2 Conv2d(32,32,3,p1), 3 ReLU,
/// 4 MaxPool2d(2), 5 Conv2d(32,64,3,p1), 6 ReLU, 7 Conv2d(64,64,3,p1), 8 ReLU, 9 MaxPool2d(2)), global average
/// pool, classifier Linear(64, 8). Any input size of at least 4 x 4 works.
/// </summary>
public sealed class Vgg7 : Classifier
{
    public const double RecommendedWeightDecay = 5e-4;

    private readonly Sequential features;
    private readonly Linear classifier;
    private readonly ProgramStep[] steps;

    public Vgg7(int numClasses = 8, long height = 150, long width = 150, Generator? generator = null)
        : base("vgg7", [3, height, width], numClasses)
    {
        if (height < 4 || width < 4) throw new ArgumentException($"vgg7 needs inputs of at least 4 x 4 (two 2 x 2 max pools), got {height} x {width}");
        features = nn.Sequential(
            Init.reset_parameters(nn.Conv2d(3, 32, 3, padding: 1), generator), nn.ReLU(),
            Init.reset_parameters(nn.Conv2d(32, 32, 3, padding: 1), generator), nn.ReLU(),
            nn.MaxPool2d(2),
            Init.reset_parameters(nn.Conv2d(32, 64, 3, padding: 1), generator), nn.ReLU(),
            Init.reset_parameters(nn.Conv2d(64, 64, 3, padding: 1), generator), nn.ReLU(),
            nn.MaxPool2d(2));
        classifier = Init.reset_parameters(nn.Linear(64, numClasses), generator);
        register_module("features", features);
        register_module("classifier", classifier);
        steps =
        [
            .. features.named_children().Select(c => ProgramStep.Of($"features.{c.name}", (nn.Module<Tensor, Tensor>)c.module)),
            ProgramStep.GlobalMean,
            ProgramStep.Of("classifier", classifier),
        ];
    }

    /// <summary>What <see cref="forward"/> computes, as steps for the oneDNN program.</summary>
    protected override IReadOnlyList<ProgramStep> Steps => steps;

    protected override bool AcceptsSize(long[] itemShape) => itemShape.Length == 3 && itemShape[0] == 3 && itemShape[1] >= 4 && itemShape[2] >= 4;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(classifier.call(features.call(input).mean([2, 3])));
    }
}
