using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>Logistic regression on MNIST-1D: linear Linear(40,10) on the flattened input; 410 parameters.</summary>
public sealed class Mnist1DLogistic : Classifier
{
    private readonly Linear linear;

    public Mnist1DLogistic(int numClasses = 10, Generator? generator = null)
        : base("mnist1d-logistic", [1, 40], numClasses)
    {
        linear = Init.reset_parameters(nn.Linear(40, numClasses), generator);
        register_module("linear", linear);
        steps = [ProgramStep.Flatten, ProgramStep.Of("linear", linear)];
    }

    private readonly ProgramStep[] steps;

    protected override IReadOnlyList<ProgramStep> Steps => steps;

    public override Tensor forward(Tensor input) => ProgramStep.Run(steps, input);
}
