using XaiGrid.Models.Architectures;
using XaiGrid.Torch;

namespace XaiGrid.Models.Tests;

/// <summary>
/// The native oneDNN program of a straight-line network against the same network run through its modules with
/// autograd (the reference): logits, input gradients, and a layer's output with the gradient there, for any
/// dQ/dlogits. oneDNN sums in another order than libtorch's kernels, so float32 values agree to rounding, not bits.
/// </summary>
public class NetworkProgramTests
{
    public static TheoryData<string, long[], string> Cases => new()
    {
        { "mnist1d-cnn", [7, 1, 40], "conv1" },
        { "mnist1d-cnn", [7, 1, 40], "conv3" },
        { "mnist1d-cnn", [1, 1, 40], "linear" },
        // Odd sizes: the floor of the 2 x 2 max pools drops the last row and column.
        { "vgg7", [3, 3, 21, 19], "features.4" },
        { "vgg7", [3, 3, 21, 19], "features.7" },
        { "vgg7", [2, 3, 16, 16], "features.9" },
        { "mnist-cnn", [5, 1, 28, 28], "features.2" },
        { "mnist-cnn", [5, 1, 28, 28], "classifier.2" },
        { "mnist1d-logistic", [4, 1, 40], "linear" },
    };

    private static Classifier Model(string arch, long[] shape)
    {
        using var g = new torch.Generator(11);
        var model = ModelZoo.Create(arch, arch == "vgg7" ? 8 : 10, shape[1..], g);
        model.eval();
        return model;
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scale = expected.abs().max();
        using var error = (expected - actual).abs().max();
        double e = error.item<float>(), s = scale.item<float>();
        Assert.True(s > 0, $"{what}: the reference is all zeros, so the comparison would prove nothing");
        Assert.True(e <= 1e-5 * s, $"{what}: largest difference {e:G3} against a largest value {s:G3}");
    }

    private static double Difference(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_program_gives_the_modules_logits_gradients_and_layer_values(string arch, long[] shape, string layer)
    {
        using var model = Model(arch, shape);
        AssertProgramMatchesModules(model, shape, layer);
    }

    // Layer lists of a user's own: max pooling in 1-D, a global average pool module, flatten before a linear in 2-D.
    public static TheoryData<string, long[], string> YamlCases => new()
    {
        {
            """
            input: [2, 30]
            classes: 4
            layers:
              - {type: conv1d, out: 8, kernel: 3, padding: 1}
              - {type: relu}
              - {type: maxpool1d, kernel: 2}
              - {name: last, type: conv1d, out: 6, kernel: 3}
              - {type: relu}
              - {name: pool, type: globalavgpool}
              - {type: linear, out: 4}
            """,
            [5, 2, 30], "pool"
        },
        {
            """
            input: [1, 9, 11]
            classes: 3
            layers:
              - {name: conv, type: conv2d, out: 4, kernel: 3, stride: 2}
              - {type: relu}
              - {type: flatten}
              - {type: dropout, p: 0.5}
              - {type: linear, out: 3}
            """,
            [4, 1, 9, 11], "conv"
        },
    };

    [Theory]
    [MemberData(nameof(YamlCases))]
    public void A_layer_list_of_the_users_runs_as_a_program_too(string yaml, long[] shape, string layer)
    {
        using var g = new torch.Generator(2);
        using var model = YamlModel.Parse(yaml, "test.yaml", g);
        model.eval();
        AssertProgramMatchesModules(model, shape, layer);
    }

    private static void AssertProgramMatchesModules(Classifier model, long[] shape, string layer)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(5);
        var x = torch.randn(shape, generator: g);
        // A quantity mixing every logit with its own weight per row, as influence's linear combinations do.
        var seed = torch.randn([shape[0], model.NumClasses], generator: g);

        model.UseProgram = false;
        var reference = model.Logits(x);
        var (_, _, referenceInput) = model.Backward(x, seed);
        var (_, referenceZ, referenceAtLayer) = model.Backward(x, seed, layer);
        model.UseProgram = true;
        Assert.True(model.RunsAsProgram(x));
        var logits = model.Logits(x);
        var (logits2, noLayer, gradient) = model.Backward(x, seed);
        var (_, z, atLayer) = model.Backward(x, seed, layer);

        AssertClose(reference, logits, "logits");
        AssertClose(reference, logits2, "logits of the backward pass");
        Assert.Null(noLayer);
        AssertClose(referenceInput, gradient, "dQ/dx");
        AssertClose(referenceZ!, z!, $"output of {layer}");
        AssertClose(referenceAtLayer, atLayer, $"dQ/d {layer}");
    }

    [Fact]
    public void A_parameter_changed_in_place_is_seen_and_a_hook_sends_the_pass_through_the_modules()
    {
        using var model = Model("mnist1d-cnn", [4, 1, 40]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(3);
        var x = torch.randn([4, 1, 40], generator: g);
        Assert.True(model.RunsAsProgram(x));
        var before = model.Logits(x);
        using (torch.no_grad())
        {
            model.parameters().First().mul_(-2.0);
        }
        var after = model.Logits(x);
        model.UseProgram = false;
        var reference = model.Logits(x);
        AssertClose(reference, after, "logits after the weight changed");
        Assert.True(Difference(before, after) > 1e-3, "the change of conv1's weight did not change the logits");

        // A hook that zeroes conv2's output: the program can't run it, so the modules must.
        model.UseProgram = true;
        using (model.Layer("conv2").register_forward_hook((_, _, output) => torch.zeros_like(output)))
        {
            Assert.False(model.RunsAsProgram(x));
            var hooked = model.Logits(x);
            model.UseProgram = false;
            AssertClose(model.Logits(x), hooked, "logits with a hook");
            Assert.True(Difference(reference, hooked) > 1e-3, "the hook did not change the logits");
        }
    }

    [Fact]
    public void Bad_shapes_are_refused_with_the_shapes_named()
    {
        using var model = Model("mnist1d-cnn", [2, 1, 40]);
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros([2, 1, 40]);
        var wrongSeed = torch.zeros([3, 10]);
        var e = Assert.Throws<ArgumentException>(() => model.Backward(x, wrongSeed));
        Assert.Contains("(2, 10)", e.Message);
        Assert.Contains("[3, 10]", e.Message);
        var ex = Assert.ThrowsAny<Exception>(() => model.Backward(x, torch.zeros([2, 10]), "nonexistent"));
        Assert.Contains("conv1", ex.Message);
    }
}
