using XaiGrid.Torch;
using XaiGrid.Torch.Modules;

namespace XaiGrid.Models.Architectures;

/// <summary>Logistic regression on MNIST-1D: linear Linear(40,10) on the flattened input; 410 parameters.</summary>
public sealed class Mnist1DLogistic : Classifier
{
    private readonly Linear linear;

    public Mnist1DLogistic(int numClasses = 10, torch.Generator? generator = null)
        : base("mnist1d-logistic", [1, 40], numClasses)
    {
        linear = torch.nn.Linear(40, numClasses, generator: generator);
        register_module("linear", linear);
    }

    protected override IReadOnlyList<ProgramStep> Steps => [ProgramStep.Flatten, ProgramStep.Of("linear", linear)];
}
