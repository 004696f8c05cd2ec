using XaiGrid.Torch;
using XaiGrid.Torch.Modules;

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

    public MnistCnn(int numClasses = 10, double dropout = 0.25, torch.Generator? generator = null)
        : base("mnist-cnn", [1, 28, 28], numClasses)
    {
        features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3, padding: 1, generator: generator), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding: 1, generator: generator), torch.nn.ReLU(), torch.nn.MaxPool2d(2));
        classifier = torch.nn.Sequential(
            torch.nn.Linear(64 * 7 * 7, 128, generator: generator), torch.nn.ReLU(), torch.nn.Dropout(dropout),
            torch.nn.Linear(128, numClasses, generator: generator));
        register_module("features", features);
        register_module("classifier", classifier);
        steps =
        [
            .. features.named_children().Select(c => ProgramStep.Of($"features.{c.name}", c.module)),
            ProgramStep.Flatten,
            .. classifier.named_children().Select(c => ProgramStep.Of($"classifier.{c.name}", c.module)),
        ];
    }

    protected override IReadOnlyList<ProgramStep> Steps => steps;
}
