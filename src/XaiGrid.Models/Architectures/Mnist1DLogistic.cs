using TorchSharp;
using TorchSharp.Modules;
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
    }

    public override Tensor forward(Tensor input)
    {
        using var flat = input.flatten(1);
        return linear.call(flat);
    }
}
