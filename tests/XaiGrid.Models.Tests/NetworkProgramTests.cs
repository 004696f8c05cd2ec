using XaiGrid.Models.Architectures;
using XaiGrid.Models.Programs;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

/// <summary>
/// The oneDNN program of a straight-line 1-D network against the same network run through its modules with autograd
/// (the reference): logits, input gradients, and a layer's output with the gradient there, for any dQ/dlogits. oneDNN
/// sums in another order than libtorch's kernels, so float32 values agree to rounding (1e-5 of the largest), not bits.
/// </summary>
public class NetworkProgramTests
{
    public static TheoryData<string, long[], string> Cases => new()
    {
        { "mnist1d-cnn", [7, 1, 40], "conv1" },
        { "mnist1d-cnn", [7, 1, 40], "conv3" },
        { "mnist1d-cnn", [1, 1, 40], "linear" },
        { "mnist1d-cnn", [25, 1, 40], "conv2" },
        { "mnist1d-cnn", [128, 1, 40], "conv3" },
        { "course-cnn1d", [5, 1, 40], "conv2" },
        { "course-cnn1d", [3, 1, 40], "linear" },
        { "mnist1d-logistic", [4, 1, 40], "linear" },
    };

    private static Classifier Model(string arch, long[] shape)
    {
        using var g = new torch.Generator(11);
        var model = ModelZoo.Create(arch, 10, shape[1..], g);
        model.eval();
        return model;
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scale = expected.abs().max();
        using var error = (expected - actual).abs().max();
        double e = error.ToSingle(), s = scale.ToSingle();
        Assert.True(s > 0, $"{what}: the reference is all zeros, so the comparison would prove nothing");
        Assert.True(e <= 1e-5 * s, $"{what}: largest difference {e:G3} against a largest value {s:G3}");
    }

    private static double Difference(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.ToSingle();
    }

    [Fact]
    public void oneDNN_is_there()
    {
        // setup.sh installs libdnnl2; without it every other test here would compare autograd with itself.
        Assert.True(NetworkProgram.Available, "libdnnl.so.2 (Debian package libdnnl2) did not load");
        Assert.True(ModuleHooks.Detectable, "TorchSharp's hook dictionaries were not found: every pass would go through the modules");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_program_gives_the_modules_logits_gradients_and_layer_values(string arch, long[] shape, string layer)
    {
        using var model = Model(arch, shape);
        AssertProgramMatchesModules(model, shape, layer);
    }

    // Layer lists of a user's own: odd lengths, strides and paddings, 'same' with an even kernel (asymmetric padding),
    // 'valid', no bias, a ReLU module as first layer (on the input, not in place), linear after linear, dropout.
    public static TheoryData<string, long[], string> YamlCases => new()
    {
        {
            """
            input: [2, 31]
            classes: 4
            layers:
              - {name: first, type: relu}
              - {type: conv1d, out: 8, kernel: 3, stride: 3, padding: 2}
              - {type: relu}
              - {name: last, type: conv1d, out: 6, kernel: 4, padding: same, bias: false}
              - {type: relu}
              - {name: flat, type: flatten}
              - {type: dropout, p: 0.5}
              - {name: hidden, type: linear, out: 7}
              - {type: relu}
              - {type: linear, out: 4}
            """,
            [5, 2, 31], "last"
        },
        {
            """
            input: [3, 17]
            classes: 3
            layers:
              - {name: conv, type: conv1d, out: 5, kernel: 5, padding: valid}
              - {type: relu}
              - {name: flat, type: flatten}
              - {type: linear, out: 3, bias: false}
            """,
            [6, 3, 17], "flat"
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

    [Fact]
    public void Layer_lists_with_other_layers_and_2d_networks_go_through_the_modules()
    {
        using var g = new torch.Generator(2);
        using var model = YamlModel.Parse("""
            input: [1, 20]
            classes: 3
            layers:
              - {type: conv1d, out: 4, kernel: 3}
              - {type: maxpool1d, kernel: 2}
              - {type: flatten}
              - {type: linear, out: 3}
            """, "test.yaml", g);
        model.eval();
        using var x = torch.randn([2, 1, 20], generator: g);
        Assert.False(model.RunsAsProgram(x));
        using var vgg = ModelZoo.Create("vgg7", 8, [3, 16, 16], g);
        vgg.eval();
        using var image = torch.randn([1, 3, 16, 16], generator: g);
        Assert.False(vgg.RunsAsProgram(image));
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
        // Twice: the second run reuses the plan and the packed weights.
        for (int run = 0; run < 2; run++)
        {
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
    }

    [Fact]
    public void Random_seeds_and_a_non_contiguous_input_agree_with_autograd()
    {
        using var model = Model("mnist1d-cnn", [9, 1, 40]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(8);
        // A transposed view: not contiguous, the program copies it.
        var x = torch.randn([40, 9, 1], generator: g).permute(1, 2, 0);
        Assert.False(x.is_contiguous());
        for (int k = 0; k < 4; k++)
        {
            var seed = k == 0 ? torch.nn.functional.one_hot(torch.tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 }), 10).to(float32)
                : torch.randn([9, 10], generator: g);
            model.UseProgram = false;
            var (_, _, reference) = model.Backward(x, seed);
            model.UseProgram = true;
            var (_, _, gradient) = model.Backward(x, seed);
            AssertClose(reference, gradient, $"dQ/dx for seed {k}");
        }
    }

    [Fact]
    public void A_parameter_change_is_seen_and_a_hook_sends_the_pass_through_the_modules()
    {
        using var model = Model("mnist1d-cnn", [4, 1, 40]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(3);
        var x = torch.randn([4, 1, 40], generator: g);
        Assert.True(model.RunsAsProgram(x));
        var before = model.Logits(x);
        using (torch.no_grad())
        {
            model.parameters().First().mul_(-2.0);  // conv1.weight, in place
        }
        var after = model.Logits(x);
        model.UseProgram = false;
        var reference = model.Logits(x);
        AssertClose(reference, after, "logits after the weight changed in place");
        Assert.True(Difference(before, after) > 1e-3, "the change of conv1's weight did not change the logits");

        // load_state_dict copies into the parameters; a bias changes too (read in place, never copied).
        model.UseProgram = true;
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        state["conv3.weight"].mul_(0.5);
        state["linear.bias"].add_(1.0);
        model.load_state_dict(state);
        var loaded = model.Logits(x);
        model.UseProgram = false;
        AssertClose(model.Logits(x), loaded, "logits after load_state_dict");
        Assert.True(Difference(after, loaded) > 1e-3);

        // A hook that zeroes conv2's output: the program can't run it, so the modules must.
        model.UseProgram = true;
        var handle = model.Layer("conv2").register_forward_hook((_, _, output) => torch.zeros_like(output));
        try
        {
            Assert.False(model.RunsAsProgram(x));
            var hooked = model.Logits(x);
            model.UseProgram = false;
            AssertClose(model.Logits(x), hooked, "logits with a hook");
            Assert.True(Difference(loaded, hooked) > 1e-3, "the hook did not change the logits");
        }
        finally
        {
            handle.remove();
        }
        model.UseProgram = true;
        Assert.True(model.RunsAsProgram(x));

        // Training mode, float64 input: the modules.
        model.train();
        Assert.False(model.RunsAsProgram(x));
        model.eval();
        using var x64 = x.to(float64);
        Assert.False(model.RunsAsProgram(x64));
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
        // Three channels where conv1 takes one: the message names the weight and the input.
        var wide = torch.zeros([2, 3, 40]);
        var w = Assert.Throws<ArgumentException>(() => model.Logits(wide));
        Assert.Contains("[25, 1, 5]", w.Message);
        Assert.Contains("[2, 3, 40]", w.Message);
        // Another length: linear's 125 features do not fit.
        var longer = torch.zeros([2, 1, 64]);
        var l = Assert.Throws<ArgumentException>(() => model.Logits(longer));
        Assert.Contains("125", l.Message);
    }
}
