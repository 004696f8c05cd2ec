using XaiGrid.Torch;
using XaiGrid.Torch.Modules;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// The course's 1-D CNN: conv1 Conv1d(1,25,k5), conv2 and conv3 Conv1d(25,25,k3), all with 'same' padding and a
/// ReLU after each (in forward), then flatten (25 x L) and linear Linear(25 L, 10). Train it with weight decay 5e-4.
/// </summary>
public sealed class CourseCnn1D : Classifier
{
    public const double RecommendedWeightDecay = 5e-4;

    private readonly Conv1d conv1, conv2, conv3;
    private readonly Linear linear;

    public CourseCnn1D(int numClasses = 10, int length = 40, int channels = 25, torch.Generator? generator = null)
        : base("course-cnn1d", [1, length], numClasses)
    {
        var same = torch.nn.PaddingModes.Same;
        conv1 = torch.nn.Conv1d(1, channels, 5, padding_mode: same, generator: generator);
        conv2 = torch.nn.Conv1d(channels, channels, 3, padding_mode: same, generator: generator);
        conv3 = torch.nn.Conv1d(channels, channels, 3, padding_mode: same, generator: generator);
        linear = torch.nn.Linear(channels * length, numClasses, generator: generator);
        register_module("conv1", conv1);
        register_module("conv2", conv2);
        register_module("conv3", conv3);
        register_module("linear", linear);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var h = conv1.call(input).relu();
        h = conv2.call(h).relu();
        h = conv3.call(h).relu();
        return scope.MoveToOuter(linear.call(h.flatten(1)));
    }
}
