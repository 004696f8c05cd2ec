using TorchSharp;
using TorchSharp.Modules;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// The MNIST-1D reference MLP: linear1 Linear(40,100) and a ReLU, a residual block h + relu(linear2(h)), linear3
/// Linear(100,10); 15,210 parameters. Inputs (N, 1, 40) are flattened first.
/// </summary>
public sealed class Mnist1DMlp : Classifier
{
    private readonly Linear linear1, linear2, linear3;

    public Mnist1DMlp(int numClasses = 10, int hidden = 100, Generator? generator = null)
        : base("mnist1d-mlp", [1, 40], numClasses)
    {
        linear1 = Init.reset_parameters(nn.Linear(40, hidden), generator);
        linear2 = Init.reset_parameters(nn.Linear(hidden, hidden), generator);
        linear3 = Init.reset_parameters(nn.Linear(hidden, numClasses), generator);
        register_module("linear1", linear1);
        register_module("linear2", linear2);
        register_module("linear3", linear3);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = linear1.call(input.flatten(1)).relu();
        h = h + linear2.call(h).relu();
        return scope.MoveToOuter(linear3.call(h));
    }
}
