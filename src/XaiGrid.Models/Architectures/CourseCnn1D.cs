using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

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

    public CourseCnn1D(int numClasses = 10, int length = 40, int channels = 25, Generator? generator = null)
        : base("course-cnn1d", [1, length], numClasses)
    {
        conv1 = Init.reset_parameters(nn.Conv1d(1, channels, 5, Padding.Same), generator);
        conv2 = Init.reset_parameters(nn.Conv1d(channels, channels, 3, Padding.Same), generator);
        conv3 = Init.reset_parameters(nn.Conv1d(channels, channels, 3, Padding.Same), generator);
        linear = Init.reset_parameters(nn.Linear(channels * length, numClasses), generator);
        register_module("conv1", conv1);
        register_module("conv2", conv2);
        register_module("conv3", conv3);
        register_module("linear", linear);
        steps =
        [
            ProgramStep.Of("conv1", conv1), ProgramStep.Relu,
            ProgramStep.Of("conv2", conv2), ProgramStep.Relu,
            ProgramStep.Of("conv3", conv3), ProgramStep.Relu,
            ProgramStep.Flatten, ProgramStep.Of("linear", linear),
        ];
    }

    private readonly ProgramStep[] steps;

    protected override IReadOnlyList<ProgramStep> Steps => steps;

    public override Tensor forward(Tensor input) => ProgramStep.Run(steps, input);
}
