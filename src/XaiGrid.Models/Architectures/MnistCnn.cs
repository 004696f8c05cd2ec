using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// A small CNN for 28 x 28 digits: features = Sequential(0 Conv2d(1,32,3,p1), 1 ReLU, 2 MaxPool2d(2),
/// 3 Conv2d(32,64,3,p1), 4 ReLU, 5 MaxPool2d(2)), flatten (64 x 7 x 7), classifier = Sequential(0 Linear(3136,128),
/// 1 ReLU, 2 Dropout(0.25), 3 Linear(128,10)).
/// </summary>
public sealed class MnistCnn : Classifier
{
    private readonly Sequential features, classifier;
    private readonly ProgramStep[] steps;

    public MnistCnn(int numClasses = 10, double dropout = 0.25, Generator? generator = null)
        : base("mnist-cnn", [1, 28, 28], numClasses)
    {
        features = nn.Sequential(
            Init.reset_parameters(nn.Conv2d(1, 32, 3, padding: 1), generator), nn.ReLU(), nn.MaxPool2d(2),
            Init.reset_parameters(nn.Conv2d(32, 64, 3, padding: 1), generator), nn.ReLU(), nn.MaxPool2d(2));
        classifier = nn.Sequential(
            Init.reset_parameters(nn.Linear(64 * 7 * 7, 128), generator), nn.ReLU(), new SeededDropout(dropout),
            Init.reset_parameters(nn.Linear(128, numClasses), generator));
        register_module("features", features);
        register_module("classifier", classifier);
        steps =
        [
            .. features.named_children().Select(c => ProgramStep.Of($"features.{c.name}", (nn.Module<Tensor, Tensor>)c.module)),
            ProgramStep.Flatten,
            .. classifier.named_children().Select(c => ProgramStep.Of($"classifier.{c.name}", (nn.Module<Tensor, Tensor>)c.module)),
        ];
    }

    /// <summary>What <see cref="forward"/> computes, as steps for the oneDNN program.</summary>
    protected override IReadOnlyList<ProgramStep> Steps => steps;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(classifier.call(features.call(input).flatten(1)));
    }
}
