using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// Gradients and Integrated Gradients (the trapezoid rule, 50 steps, zero baseline) of mnist1d-cnn and vgg7 on
/// random weights, computed in python3-torch from the same weights, inputs and targets.
/// </summary>
public sealed class PyTorchAttributions : IDisposable
{
    public const int IgSteps = 50;

    private const string Script = """
        folder, steps = sys.argv[1], int(sys.argv[2])
        for arch in sys.argv[3:]:
            model = build(arch, f'{folder}/{arch}.safetensors')
            x = torch.from_numpy(np.load(f'{folder}/{arch}-x.npy'))
            t = torch.from_numpy(np.load(f'{folder}/{arch}-targets.npy'))
            def gradient(z, c):
                z = z.detach().clone().requires_grad_(True)
                model(z).gather(1, c[:, None]).sum().backward()
                return z.grad
            np.save(f'{folder}/{arch}-gradient.npy', gradient(x, t).numpy())
            # The true trapezoid rule: alphas linspace(0, 1, n), weights 1/(2(n-1)) at the ends and 1/(n-1) inside, summing to 1
            # (Captum's riemann_trapezoid has these alphas but weights 1/n, halved at the ends, which sum to 1 - 1/n).
            alphas = torch.linspace(0, 1, steps)
            weights = torch.full((steps,), 1 / (steps - 1))
            weights[0] = weights[-1] = 1 / (2 * (steps - 1))
            shape = (steps,) + (1,) * (x.dim() - 1)
            ig = [x[i] * (weights.view(shape) * gradient(alphas.view(shape) * x[i:i + 1], t[i].repeat(steps))).sum(0)
                  for i in range(len(x))]
            np.save(f'{folder}/{arch}-ig.npy', torch.stack(ig).numpy())
        """;

    private readonly TempDir folder = new();
    private readonly Dictionary<string, (Classifier model, Tensor inputs, long[] targets)> cases = new();

    public PyTorchAttributions()
    {
        (string arch, long[] shape)[] specs = [("mnist1d-cnn", [4, 1, 40]), ("vgg7", [3, 3, 12, 12])];
        foreach (var (arch, shape) in specs)
        {
            using var generator = new torch.Generator(21);
            var model = ModelZoo.Create(arch, generator: generator);
            var inputs = torch.randn(shape, generator: generator);
            var targets = Enumerable.Range(0, (int)shape[0]).Select(i => (long)(3 * i + 1) % model.NumClasses).ToArray();
            cases[arch] = (model, inputs, targets);
            Trainer.SaveWeights(folder.File($"{arch}.safetensors"), model);
            Npy.save(folder.File($"{arch}-x.npy"), inputs);
            using var t = torch.tensor(targets);
            Npy.save(folder.File($"{arch}-targets.npy"), t);
        }
        PythonReference.Run(Script, [folder.Path, IgSteps.ToString(), .. specs.Select(s => s.arch)]);
    }

    public (Classifier model, Tensor inputs, long[] targets) this[string arch] => cases[arch];

    /// <summary>PyTorch's result <paramref name="what"/> ("gradient" or "ig") for <paramref name="arch"/>.</summary>
    public Tensor Expected(string arch, string what) => Npy.load(folder.File($"{arch}-{what}.npy"));

    public void Dispose()
    {
        foreach (var (model, inputs, _) in cases.Values)
        {
            model.Dispose();
            inputs.Dispose();
        }
        folder.Dispose();
    }
}

public class GradientTests(PyTorchAttributions reference, ITestOutputHelper output) : IClassFixture<PyTorchAttributions>
{
    private static readonly long[] Targets = [0, 3, 9, 3, 7];

    private static (Mnist1DLogistic model, Tensor x, float[][] rows) Logistic()
    {
        using var generator = new torch.Generator(8);
        var model = new Mnist1DLogistic(generator: generator);
        var x = torch.randn([5, 1, 40], generator: generator);
        // state_dict() holds the model's own tensors: not ours to dispose.
        var w = model.state_dict()["linear.weight"].data<float>().ToArray();
        return (model, x, Enumerable.Range(0, 10).Select(c => w[(c * 40)..((c + 1) * 40)]).ToArray());
    }

    [Fact]
    public void GradientOfALinearModelIsTheTargetsWeightRow()
    {
        var (model, x, rows) = Logistic();
        using (model)
        using (x)
        using (var maps = new Gradient(model).Attribute(x, Targets))
        {
            Assert.Equal(new long[] { 5, 1, 40 }, maps.shape);
            var values = maps.data<float>().ToArray();
            for (int i = 0; i < 5; i++) Assert.Equal(rows[Targets[i]], values[(i * 40)..((i + 1) * 40)]);
        }
    }

    [Fact]
    public void GradientTimesInputOfALinearModelIsWeightTimesInput()
    {
        var (model, x, rows) = Logistic();
        using (model)
        using (x)
        using (var maps = new GradientXInput(model).Attribute(x, Targets))
        {
            var values = maps.data<float>().ToArray();
            var inputs = x.data<float>().ToArray();
            for (int i = 0; i < 5; i++)
            for (int j = 0; j < 40; j++)
                Assert.Equal(rows[Targets[i]][j] * inputs[i * 40 + j], values[i * 40 + j]);
        }
    }

    [Fact]
    public void WithoutTargetsTheGradientIsThePredictedClasssRow()
    {
        var (model, x, rows) = Logistic();
        using (model)
        using (x)
        using (var maps = new Gradient(model) { MaxBatch = 2 }.Attribute(x))
        {
            var bias = model.state_dict()["linear.bias"].data<float>().ToArray();
            var inputs = x.data<float>().ToArray();
            var values = maps.data<float>().ToArray();
            for (int i = 0; i < 5; i++)
            {
                var xi = inputs[(i * 40)..((i + 1) * 40)];
                // The predicted class from the logits computed here, in float64.
                int predicted = Enumerable.Range(0, 10).MaxBy(c => rows[c].Zip(xi, (w, v) => (double)w * v).Sum() + bias[c]);
                Assert.Equal(rows[predicted], values[(i * 40)..((i + 1) * 40)]);
            }
        }
    }

    /// <summary>In float64 the gradient of mnist1d-cnn matches central differences of S_c (no ReLU kink lies within 1e-6).</summary>
    [Fact]
    public void GradientMatchesCentralDifferences()
    {
        using var generator = new torch.Generator(4);
        using var model = new Mnist1DCnn(generator: generator).to(ScalarType.Float64);
        using var x = torch.randn([2, 1, 40], ScalarType.Float64, generator: generator);
        long[] targets = [2, 6];
        using var maps = new Gradient(model).Attribute(x, targets);
        var numeric = new double[80];
        const double eps = 1e-6;
        using (torch.no_grad())
        {
            for (int i = 0; i < 2; i++)
            for (int j = 0; j < 40; j++)
            {
                using var scope = torch.NewDisposeScope();
                var plus = x.clone();
                var minus = x.clone();
                plus[i][0][j].add_(eps);
                minus[i][0][j].sub_(eps);
                double up = model.call(plus)[i][targets[i]].ToDouble(), down = model.call(minus)[i][targets[i]].ToDouble();
                numeric[i * 40 + j] = (up - down) / (2 * eps);
            }
        }
        using var expected = torch.tensor(numeric, [2, 1, 40]);
        double error = TestData.AssertClose(expected, maps, 1e-6, "gradient against central differences");
        output.WriteLine($"relative error against central differences: {error:E2}");
    }

    [Theory]
    [InlineData("mnist1d-cnn")]
    [InlineData("vgg7")]
    public void GradientMatchesPyTorch(string arch)
    {
        var (model, inputs, targets) = reference[arch];
        using var maps = new Gradient(model).Attribute(inputs, targets);
        using var expected = reference.Expected(arch, "gradient");
        double error = TestData.AssertClose(expected, maps, 1e-4, $"{arch} gradient against PyTorch's");
        output.WriteLine($"{arch}: gradient relative error against PyTorch {error:E2}");
    }
}
