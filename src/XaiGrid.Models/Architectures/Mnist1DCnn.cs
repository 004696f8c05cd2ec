using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// The 5,210-parameter MNIST-1D reference CNN (Greydanus 2020): conv1 Conv1d(1,25,k5,s2,p1), conv2 and conv3
/// Conv1d(25,25,k3,s2,p1), a ReLU after each (applied in forward, so a hook on conv3 sees the pre-ReLU output),
/// flatten (25 x 5), linear Linear(125,10). Lengths 40 -> 19 -> 10 -> 5.
/// </summary>
public sealed class Mnist1DCnn : Classifier
{
    private readonly Conv1d conv1, conv2, conv3;
    private readonly Linear linear;

    public Mnist1DCnn(int numClasses = 10, int channels = 25, Generator? generator = null)
        : base("mnist1d-cnn", [1, 40], numClasses)
    {
        conv1 = Init.reset_parameters(nn.Conv1d(1, channels, 5, stride: 2, padding: 1), generator);
        conv2 = Init.reset_parameters(nn.Conv1d(channels, channels, 3, stride: 2, padding: 1), generator);
        conv3 = Init.reset_parameters(nn.Conv1d(channels, channels, 3, stride: 2, padding: 1), generator);
        linear = Init.reset_parameters(nn.Linear(channels * 5, numClasses), generator);
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
