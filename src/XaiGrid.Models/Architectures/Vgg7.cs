using XaiGrid.Torch;
using XaiGrid.Torch.Modules;

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

    public Vgg7(int numClasses = 8, long height = 150, long width = 150, torch.Generator? generator = null)
        : base("vgg7", [3, height, width], numClasses)
    {
        if (height < 4 || width < 4) throw new ArgumentException($"vgg7 needs inputs of at least 4 x 4 (two 2 x 2 max pools), got {height} x {width}");
        features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 32, 3, padding: 1, generator: generator), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 32, 3, padding: 1, generator: generator), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding: 1, generator: generator), torch.nn.ReLU(),
            torch.nn.Conv2d(64, 64, 3, padding: 1, generator: generator), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2));
        classifier = torch.nn.Linear(64, numClasses, generator: generator);
        register_module("features", features);
        register_module("classifier", classifier);
        steps =
        [
            .. features.named_children().Select(c => ProgramStep.Of($"features.{c.name}", c.module)),
            ProgramStep.GlobalMean,
            ProgramStep.Of("classifier", classifier),
        ];
    }

    protected override bool AcceptsSize(long[] itemShape) => itemShape.Length == 3 && itemShape[0] == 3 && itemShape[1] >= 4 && itemShape[2] >= 4;

    protected override IReadOnlyList<ProgramStep> Steps => steps;
}
