using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Models.Tests;

/// <summary>
/// python3-torch's Adam and SGD (foreach=False: the per-parameter update) applied to parameters of mnist1d-cnn's shapes
/// for a sequence of given gradients, with the learning rate changed between steps as a schedule would.
/// </summary>
public sealed class PyTorchOptimizerReference : IDisposable
{
    public const int Steps = 25;

    public static readonly long[][] Shapes = [[25, 1, 5], [25], [25, 25, 3], [25], [25, 25, 3], [25], [10, 125], [10]];

    private const string Script = """
        import sys
        import numpy as np
        import torch

        out = sys.argv[1]
        shapes = [(25, 1, 5), (25,), (25, 25, 3), (25,), (25, 25, 3), (25,), (10, 125), (10,)]
        sizes = [int(np.prod(s)) for s in shapes]
        steps = int(sys.argv[2])
        rng = np.random.default_rng(5)
        init = (rng.standard_normal(sum(sizes)) * 0.1).astype(np.float32)
        # Gradients of mixed scales (as in training), and exact zeros, which Adam's sqrt and SGD's momentum must pass through.
        grads = (rng.standard_normal((steps, sum(sizes))) * 10.0 ** rng.integers(-4, 1, (steps, sum(sizes)))).astype(np.float32)
        grads[:, ::7] = 0
        np.save(f'{out}/init.npy', init)
        np.save(f'{out}/grads.npy', grads)

        configs = {
            'adam': lambda ps: torch.optim.Adam(ps, lr=1e-2, foreach=False),
            'adam-weight-decay': lambda ps: torch.optim.Adam(ps, lr=3e-3, weight_decay=1e-2, foreach=False),
            'sgd': lambda ps: torch.optim.SGD(ps, lr=0.05, foreach=False),
            'sgd-momentum-weight-decay': lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-4, foreach=False),
            'sgd-nesterov': lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4, foreach=False),
        }
        for name, make in configs.items():
            params = [torch.nn.Parameter(torch.from_numpy(p.copy()).reshape(s)) for p, s in zip(np.split(init, np.cumsum(sizes)[:-1]), shapes)]
            opt = make(params)
            for k in range(steps):
                for p, g in zip(params, np.split(grads[k], np.cumsum(sizes)[:-1])):
                    p.grad = torch.from_numpy(g.copy()).reshape(p.shape)
                opt.step()
                for group in opt.param_groups:
                    group['lr'] *= 0.9
            np.save(f'{out}/{name}.npy', torch.cat([p.detach().reshape(-1) for p in params]).numpy())
        """;

    private readonly TempDir dir = new();

    public PyTorchOptimizerReference() => PythonRunner.Run(Script, dir.Path, Steps.ToString());

    public string File(string name) => dir.File(name);

    public void Dispose() => dir.Dispose();
}

public class FlatOptimizerTests(PyTorchOptimizerReference reference) : IClassFixture<PyTorchOptimizerReference>
{
    public static TheoryData<string> Configurations => new(["adam", "adam-weight-decay", "sgd", "sgd-momentum-weight-decay", "sgd-nesterov"]);

    private static FlatOptimizer Flat(string configuration, IEnumerable<Parameter> parameters) => configuration switch
    {
        "adam" => new FlatAdam(parameters, 1e-2),
        "adam-weight-decay" => new FlatAdam(parameters, 3e-3, weightDecay: 1e-2),
        "sgd" => new FlatSgd(parameters, 0.05),
        "sgd-momentum-weight-decay" => new FlatSgd(parameters, 0.05, momentum: 0.9, weightDecay: 1e-4),
        "sgd-nesterov" => new FlatSgd(parameters, 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true),
        _ => throw new ArgumentException(configuration),
    };

    /// <summary>
    /// PyTorch 1.13's _single_tensor_adam and _single_tensor_sgd, line by line: one parameter at a time, the reference the
    /// flat update must equal. Its square root is the correctly rounded one, as FlatAdam's (TorchSharp's own Adam takes
    /// libtorch 2.10's float32 sqrt, an ulp off for one float in six, and so differs from python3-torch).
    /// </summary>
    private sealed class PerParameter(string configuration, IReadOnlyList<Parameter> parameters) : IDisposable
    {
        private readonly Dictionary<Parameter, (Tensor a, Tensor? b)> state = new();
        private long step;

        public void zero_grad()
        {
            foreach (var p in parameters)
            {
                using var grad = p.grad;
                grad?.zero_();
            }
        }

        public void Step()
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            step++;
            foreach (var param in parameters)
            {
                var grad = param.grad!;
                if (configuration.StartsWith("adam", StringComparison.Ordinal))
                {
                    double lr = configuration == "adam" ? 1e-2 : 3e-3, weightDecay = configuration == "adam" ? 0 : 1e-2;
                    if (!state.ContainsKey(param))
                        state[param] = (torch.zeros_like(param).DetachFromDisposeScope(), torch.zeros_like(param).DetachFromDisposeScope());
                    var (expAvg, expAvgSq) = state[param];
                    if (weightDecay != 0) grad = grad.add(param, alpha: weightDecay);
                    expAvg.mul_(0.9).add_(grad, alpha: 1 - 0.9);
                    expAvgSq!.mul_(0.999).addcmul_(grad, grad.conj(), value: 1 - 0.999);
                    double biasCorrection1 = 1 - Math.Pow(0.9, step), biasCorrection2 = 1 - Math.Pow(0.999, step);
                    double stepSize = lr / biasCorrection1, biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
                    var denom = (expAvgSq.to(ScalarType.Float64).sqrt().to(ScalarType.Float32) / biasCorrection2Sqrt).add_(1e-8);
                    param.addcdiv_(expAvg, denom, value: -stepSize);
                }
                else
                {
                    double momentum = configuration == "sgd" ? 0 : 0.9, weightDecay = configuration == "sgd" ? 0 : 1e-4;
                    var dP = grad;
                    if (weightDecay != 0) dP = dP.add(param, alpha: weightDecay);
                    if (momentum != 0)
                    {
                        if (!state.TryGetValue(param, out var buffer))
                        {
                            buffer = (dP.clone().detach().DetachFromDisposeScope(), null);
                            state[param] = buffer;
                        }
                        else
                        {
                            buffer.a.mul_(momentum).add_(dP, alpha: 1 - 0);
                        }
                        dP = configuration == "sgd-nesterov" ? dP.add(buffer.a, alpha: momentum) : buffer.a;
                    }
                    param.add_(dP, alpha: -0.05);
                }
            }
        }

        public void Dispose()
        {
            foreach (var (a, b) in state.Values)
            {
                a.Dispose();
                b?.Dispose();
            }
        }
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differ = expected.Zip(actual).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
        Assert.True(differ == 0, $"{what}: {differ} of {expected.Length} values differ");
    }

    /// <summary>Given python3-torch's gradients step by step, the parameters end bit for bit where python3-torch's optimizer put them.</summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void StepsEqualPyTorchsPerParameterUpdateBitForBit(string configuration)
    {
        using var init = Npy.load(reference.File("init.npy"));
        using var grads = Npy.load(reference.File("grads.npy"));
        using var expected = Npy.load(reference.File($"{configuration}.npy"));
        var parameters = new List<Parameter>();
        long offset = 0;
        foreach (var shape in PyTorchOptimizerReference.Shapes)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            using var values = init.narrow(0, offset, n).reshape(shape);
            parameters.Add(new Parameter(values.clone()));
            offset += n;
        }
        try
        {
            using var optimizer = Flat(configuration, parameters);
            for (int k = 0; k < PyTorchOptimizerReference.Steps; k++)
            {
                offset = 0;
                using (torch.no_grad())
                    foreach (var p in parameters)
                    {
                        using var grad = p.grad!;
                        using var step = grads[k];
                        using var g = step.narrow(0, offset, p.numel());
                        grad.copy_(g.view(p.shape));
                        offset += p.numel();
                    }
                optimizer.step();
                foreach (var group in optimizer.ParamGroups) group.LearningRate *= 0.9;
            }
            using var actual = torch.cat(parameters.Select(p => p.detach().reshape(-1)).ToList());
            AssertBitwiseEqual(expected.data<float>().ToArray(), actual.data<float>().ToArray(), configuration);
            Assert.Equal(PyTorchOptimizerReference.Steps, optimizer.Step);
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }

    /// <summary>
    /// Training mnist1d-cnn with the flat optimizer (the gradients accumulated into its flat buffer by autograd) ends with
    /// bitwise the weights of per-parameter updates, and the model's parameters stay its own tensors.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void TrainingEqualsPerParameterUpdatesBitForBit(string configuration)
    {
        using var data = new torch.Generator(4);
        using var x = torch.randn([64, 1, 40], generator: data);
        using var y = torch.randint(0, 10, [64], generator: data);
        using var g1 = new torch.Generator(7);
        using var flatModel = ModelZoo.Create("mnist1d-cnn", generator: g1);
        using var g2 = new torch.Generator(7);
        using var referenceModel = ModelZoo.Create("mnist1d-cnn", generator: g2);
        var before = flatModel.parameters().Select(p => p.Handle).ToList();
        using var flat = Flat(configuration, flatModel.parameters());
        using var perParameter = new PerParameter(configuration, referenceModel.parameters().ToList());
        flatModel.train();
        referenceModel.train();
        for (int step = 0; step < 30; step++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = x.narrow(0, step % 4 * 16, 16);
            var labels = y.narrow(0, step % 4 * 16, 16);
            flat.zero_grad();
            F.cross_entropy(flatModel.call(batch), labels).backward();
            flat.step();
            perParameter.zero_grad();
            F.cross_entropy(referenceModel.call(batch), labels).backward();
            perParameter.Step();
        }
        Assert.Equal(before, flatModel.parameters().Select(p => p.Handle));
        var expected = ModelAssert.StateValues(referenceModel);
        foreach (var (name, values) in ModelAssert.StateValues(flatModel)) AssertBitwiseEqual(expected[name], values, $"{configuration} {name}");
    }

    [Fact]
    public void ParametersKeepTheirValuesAndTheirGradientsLandInTheFlatBuffer()
    {
        using var g = new torch.Generator(1);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: g);
        var values = ModelAssert.StateValues(model);
        using var optimizer = new FlatAdam(model.parameters(), 1e-3);
        Assert.Equal(values, ModelAssert.StateValues(model));
        using (var x = torch.ones([2, 1, 40]))
        using (var loss = model.call(x).sum())
            loss.backward();
        Assert.All(model.parameters(), p =>
        {
            using var grad = p.grad!;
            using var magnitude = grad.abs().sum();
            Assert.True(magnitude.item<float>() > 0);
        });
        optimizer.zero_grad();
        Assert.All(model.parameters(), p =>
        {
            using var grad = p.grad!;
            using var magnitude = grad.abs().sum();
            Assert.Equal(0f, magnitude.item<float>());
        });
    }

    [Fact]
    public void ParametersThatNeedNoGradientOrDifferInTypeAreRefused()
    {
        using var a = new Parameter(torch.ones(3));
        using var b = new Parameter(torch.ones(3), requires_grad: false);
        using var c = new Parameter(torch.ones(3, dtype: ScalarType.Float64));
        Assert.Throws<ArgumentException>(() => new FlatAdam([a, b]));
        Assert.Throws<ArgumentException>(() => new FlatSgd([a, c], 0.1));
        Assert.Throws<ArgumentException>(() => new FlatSgd([], 0.1));
        Assert.Throws<ArgumentException>(() => new FlatSgd([a], 0.1, nesterov: true));
    }
}
