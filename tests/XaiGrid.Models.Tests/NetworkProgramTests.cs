using XaiGrid.Models.Architectures;
using XaiGrid.Models.Programs;
using XaiGrid.TorchExtras;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

/// <summary>
/// The oneDNN program of a straight-line 1-D or 2-D network against the same network run through its modules with autograd
/// (the reference): logits, input gradients, and a layer's output with the gradient there, for any dQ/dlogits. oneDNN
/// sums in another order than libtorch's kernels, so float32 values agree to rounding (<see cref="Ulps"/>), not bits.
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
        // Odd sizes: the floor of the 2 x 2 max pools drops the last row and column.
        { "vgg7", [3, 3, 21, 19], "features.4" },
        { "vgg7", [3, 3, 21, 19], "features.7" },
        { "vgg7", [2, 3, 16, 16], "features.9" },
        { "vgg7", [2, 3, 16, 16], "features.0" },
        { "vgg7", [1, 3, 150, 150], "features.8" },
        { "mnist-cnn", [5, 1, 28, 28], "features.2" },
        { "mnist-cnn", [5, 1, 28, 28], "classifier.2" },
        { "mnist-cnn", [1, 1, 28, 28], "features.4" },
    };

    private static Classifier Model(string arch, long[] shape)
    {
        using var g = new torch.Generator(11);
        var model = ModelZoo.Create(arch, arch == "vgg7" ? 8 : 10, shape[1..], g);
        model.eval();
        return model;
    }

    // The tolerance, in float32 ulps (2^-23) of the largest value. Program and modules add the same products in another
    // order (oneDNN's blocked kernels against libtorch's), and each float32 addition rounds by up to half an ulp of its
    // result: the largest differences measured were 7 ulps (vgg7's features.8 on 150 x 150: four convolutions of up to
    // 576 products each), most cases 3 to 5. 32 leaves room for other CPUs' kernels; a real mistake (a stale weight, a
    // pooling window a row off, a gradient sent to the other side of a tie) moves values by a good part of themselves.
    private const double Ulps = 32;

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scale = expected.abs().max();
        using var error = (expected - actual).abs().max();
        double e = error.ToSingle(), s = scale.ToSingle();
        Assert.True(s > 0, $"{what}: the reference is all zeros, so the comparison would prove nothing");
        Assert.True(e <= Ulps * Math.ScaleB(1, -23) * s, $"{what}: largest difference {e:G3} against a largest value {s:G3}");
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
        {
            """
            input: [2, 30]
            classes: 4
            layers:
              - {type: conv1d, out: 8, kernel: 3, padding: 1}
              - {type: relu}
              - {name: pool, type: maxpool1d, kernel: 3, stride: 2}
              - {name: last, type: conv1d, out: 6, kernel: 3}
              - {type: relu}
              - {name: mean, type: globalavgpool}
              - {type: linear, out: 4}
            """,
            [5, 2, 30], "pool"
        },
        {
            """
            input: [2, 30]
            classes: 4
            layers:
              - {type: conv1d, out: 8, kernel: 3, padding: 1}
              - {type: relu}
              - {type: maxpool1d, kernel: 2}
              - {type: conv1d, out: 6, kernel: 3}
              - {type: relu}
              - {name: mean, type: globalavgpool}
              - {type: linear, out: 4}
            """,
            [5, 2, 30], "mean"
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
        {
            """
            input: [3, 15, 12]
            classes: 5
            layers:
              - {type: conv2d, out: 6, kernel: 4, padding: same}
              - {name: relu, type: relu}
              - {name: pool, type: maxpool2d, kernel: 3, stride: 2}
              - {type: conv2d, out: 8, kernel: 3, padding: 1, bias: false}
              - {type: relu}
              - {type: maxpool2d, kernel: 2}
              - {name: mean, type: globalavgpool}
              - {name: hidden, type: linear, out: 7}
              - {type: relu}
              - {type: linear, out: 5}
            """,
            [3, 3, 15, 12], "pool"
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

    [Theory]
    [InlineData("{type: avgpool1d, kernel: 2}", 1)]
    [InlineData("{type: conv1d, out: 4, kernel: 3, dilation: 2}", 1)]
    [InlineData("{type: batchnorm2d}", 2)]
    [InlineData("{type: avgpool2d, kernel: 2}", 2)]
    [InlineData("{type: conv2d, out: 4, kernel: 3, groups: 2}", 2)]
    public void Layer_lists_with_other_layers_go_through_the_modules(string layer, int spatial)
    {
        using var g = new torch.Generator(2);
        string input = spatial == 1 ? "[2, 20]" : "[2, 8, 8]";
        using var model = YamlModel.Parse($$"""
            input: {{input}}
            classes: 3
            layers:
              - {type: relu}
              - {{layer}}
              - {type: flatten}
              - {type: linear, out: 3}
            """, "test.yaml", g);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(spatial == 1 ? [2, 2, 20] : [2, 2, 8, 8], generator: g);
        Assert.False(model.RunsAsProgram(x));
        var (logits, _, gradient) = model.Backward(x, torch.ones([2, 3]));
        Assert.Equal([2, 3], logits.shape);
        Assert.Equal(x.shape, gradient.shape);
    }

    [Fact]
    public void Passes_the_program_cannot_take_go_through_the_modules()
    {
        using var model = Model("vgg7", [2, 3, 18, 18]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(15);
        var x = torch.randn([2, 3, 18, 18], generator: g);
        var seed = torch.randn([2, model.NumClasses], generator: g);
        Assert.True(model.RunsAsProgram(x));
        // "features" (the container) is no step: its output, before the mean, comes from a hook on the modules.
        var (_, z, atFeatures) = model.Backward(x, seed, "features");
        Assert.Equal([2, 64, 4, 4], z!.shape);
        Assert.Equal(z.shape, atFeatures.shape);
        // dQ/dz of a mean over 16 positions: the seed's dot product with the classifier's weights, over 16 everywhere.
        using var expected = (seed.matmul(((Linear)model.Layer("classifier")).weight!) / 16)[.., .., TensorIndex.None, TensorIndex.None].expand_as(atFeatures);
        AssertClose(expected, atFeatures, "dQ/d features");
        // Float64 input and training mode: the modules.
        using var x64 = x.to(float64);
        Assert.False(model.RunsAsProgram(x64));
        model.train();
        Assert.False(model.RunsAsProgram(x));
        model.eval();
        Assert.True(model.RunsAsProgram(x));
    }

    [Fact]
    public void Vgg7_sees_its_weights_change_between_passes_of_every_shape()
    {
        // Packed weights belong to a plan (one per input shape and thread count): a change first seen by a pass of one
        // shape must still reach the plans of the others. Changes in place, by load_state_dict, and a new weight tensor.
        using var model = Model("vgg7", [2, 3, 20, 18]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(14);
        Tensor x = torch.randn([2, 3, 20, 18], generator: g), other = torch.randn([1, 3, 17, 23], generator: g);
        Tensor seed = torch.randn([2, model.NumClasses], generator: g), otherSeed = seed.narrow(0, 0, 1);
        var passes = AssertFollowsModules(model, x, seed, null, "at first");
        var otherPasses = AssertFollowsModules(model, other, otherSeed, null, "at first");

        using (torch.no_grad())
        {
            model.state_dict()["features.0.weight"].mul_(-1.5);
        }
        otherPasses = AssertFollowsModules(model, other, otherSeed, otherPasses, "after features.0.weight changed in place");
        passes = AssertFollowsModules(model, x, seed, passes, "after features.0.weight changed in place");

        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        state["features.7.weight"].mul_(0.5);
        state["classifier.weight"].neg_();
        state["classifier.bias"].add_(1.0);
        model.load_state_dict(state);
        passes = AssertFollowsModules(model, x, seed, passes, "after load_state_dict");
        otherPasses = AssertFollowsModules(model, other, otherSeed, otherPasses, "after load_state_dict");

        var conv = (Conv2d)model.Layer("features.5");
        conv.weight = new Parameter(torch.randn(conv.weight!.shape, generator: g) * 0.1);
        AssertFollowsModules(model, other, otherSeed, otherPasses, "after features.5 got a new weight");
        AssertFollowsModules(model, x, seed, passes, "after features.5 got a new weight");
    }

    // The program's logits, dQ/dx, and features.4's output and dQ/d features.4 against the modules'; with the passes
    // of before a change of weights, that the logits and dQ/dx moved (they depend on every weight).
    private static Tensor[] AssertFollowsModules(Classifier model, Tensor x, Tensor seed, Tensor[]? before, string when)
    {
        Tensor[] Passes()
        {
            var (_, z, atLayer) = model.Backward(x, seed, "features.4");
            var (logits, _, gradient) = model.Backward(x, seed);
            return [logits, gradient, z!, atLayer, model.Logits(x)];
        }
        Assert.True(model.RunsAsProgram(x));
        var actual = Passes();
        model.UseProgram = false;
        var expected = Passes();
        model.UseProgram = true;
        string[] names = ["logits", "dQ/dx", "output of features.4", "dQ/d features.4", "logits of a forward pass"];
        for (int i = 0; i < names.Length; i++)
            AssertClose(expected[i], actual[i], $"{names[i]} {when}");
        for (int i = 0; before is not null && i < 2; i++)
        {
            using var scale = before[i].abs().max();
            Assert.True(Difference(before[i], actual[i]) > 1e-2 * scale.ToSingle(), $"{names[i]} did not change {when}");
        }
        return actual;
    }

    /// <summary>
    /// A 2-D network with what vgg7 does not have: a strided convolution with a non-square kernel, its own padding
    /// per dimension and no bias; 'same' padding of an even kernel (more on the right); max pooling with padding and a
    /// stride other than its window; AdaptiveAvgPool2d(1) (keeps 1 x 1 positions) and a flatten before the linear.
    /// </summary>
    private sealed class Small2D : Classifier
    {
        private readonly Sequential body;
        private readonly ProgramStep[] steps;

        public Small2D(Generator g) : base("small-2d", [2, 13, 11], 5)
        {
            body = nn.Sequential(
                ("conv", Init.reset_parameters(nn.Conv2d(2, 6, (3, 2), stride: (2, 1), padding: (1, 0), bias: false), g)),
                ("relu", nn.ReLU()),
                ("pool", nn.MaxPool2d((3, 3), stride: (2, 2), padding: (1, 1))),
                ("same", Init.reset_parameters(nn.Conv2d(6, 7, (2, 4), Padding.Same), g)),
                ("relu2", nn.ReLU()),
                ("gap", nn.AdaptiveAvgPool2d(1)),
                ("flat", nn.Flatten()),
                ("linear", Init.reset_parameters(nn.Linear(7, 5), g)));
            register_module("body", body);
            steps = body.named_children().Select(c => ProgramStep.Of($"body.{c.name}", (nn.Module<Tensor, Tensor>)c.module)).ToArray();
        }

        protected override IReadOnlyList<ProgramStep> Steps => steps;

        public override Tensor forward(Tensor input) => body.call(input);
    }

    [Theory]
    [InlineData("body.conv")]
    [InlineData("body.pool")]
    [InlineData("body.same")]
    [InlineData("body.gap")]
    [InlineData("body.flat")]
    public void A_small_2d_network_runs_as_a_program(string layer)
    {
        using var g = new torch.Generator(4);
        using var model = new Small2D(g);
        model.eval();
        AssertProgramMatchesModules(model, [3, 2, 13, 11], layer);
    }

    [Fact]
    public void Max_pooling_ties_send_the_gradient_where_the_modules_do()
    {
        // Tiles of 8-bit images have flat regions: there the convolutions give equal outputs, the 2 x 2 max pools' windows
        // tie between positive values, and the gradient goes to one of the tied positions. libtorch takes the first in
        // row-major order; so must the program, or input gradients land a pixel off.
        using var model = Model("vgg7", [2, 3, 64, 64]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(6);
        var levels = torch.randint(0, 3, [2, 3, 4, 4], generator: g).to(float32) / 2;
        var x = levels.repeat_interleave(16, 2).repeat_interleave(16, 3).contiguous();
        var seed = torch.randn([2, model.NumClasses], generator: g);
        Assert.True(model.RunsAsProgram(x));
        // dQ/d(the ReLU outputs the max pools read) is not zero exactly where the pools sent the gradient.
        var (_, relu, atRelu) = model.Backward(x, seed, "features.3");
        var (_, relu2, atRelu2) = model.Backward(x, seed, "features.8");
        long ties = TiedWindows(relu!), ties2 = TiedWindows(relu2!);
        Assert.True(ties > 1000 && ties2 > 50, $"{ties} and {ties2} tied windows before the max pools: too few to tell");
        var (_, _, gradient) = model.Backward(x, seed);
        model.UseProgram = false;
        var (_, _, reference) = model.Backward(x, seed);
        var (_, _, referenceAtRelu) = model.Backward(x, seed, "features.3");
        var (_, _, referenceAtRelu2) = model.Backward(x, seed, "features.8");
        AssertClose(referenceAtRelu, atRelu, "dQ/d features.3");
        AssertClose(referenceAtRelu2, atRelu2, "dQ/d features.8");
        AssertClose(reference, gradient, "dQ/dx");
    }

    // 2 x 2 windows (stride 2) whose largest value is positive and there more than once.
    private static long TiedWindows(Tensor a)
    {
        using var scope = torch.NewDisposeScope();
        long h = a.size(2) / 2 * 2, w = a.size(3) / 2 * 2;
        var windows = a.narrow(2, 0, h).narrow(3, 0, w).unfold(2, 2, 2).unfold(3, 2, 2).flatten(4);
        var max = windows.amax([4], keepdim: true);
        var ties = (windows == max).sum(4, type: ScalarType.Int64) > 1;
        return (ties & (max.squeeze(4) > 0)).sum().ToInt64();
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var equal = (a == b).all();
        return a.shape.SequenceEqual(b.shape) && equal.item<bool>();
    }

    [Fact]
    public void Passes_give_the_same_numbers_whether_the_scratch_block_is_kept_or_freed()
    {
        using var model = Model("vgg7", [3, 3, 20, 20]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(12);
        var x = torch.randn([3, 3, 20, 20], generator: g);
        var seed = torch.randn([3, model.NumClasses], generator: g);
        // A forward pass, then backward passes (their block is larger), of this shape and of another one.
        var logits = model.Logits(x);
        var (_, z, atLayer) = model.Backward(x, seed, "features.2");
        var (_, _, gradient) = model.Backward(x.narrow(0, 0, 2), seed.narrow(0, 0, 2));
        long kept = NetworkProgram.KeptScratchBytes;
        NetworkProgram.KeptScratchBytes = 0;
        try
        {
            for (int run = 0; run < 2; run++)
            {
                Assert.True(Same(logits, model.Logits(x)), "logits");
                var (_, z2, atLayer2) = model.Backward(x, seed, "features.2");
                Assert.True(Same(z!, z2!) && Same(atLayer, atLayer2), "features.2 and dQ/d features.2");
                Assert.True(Same(gradient, model.Backward(x.narrow(0, 0, 2), seed.narrow(0, 0, 2)).gradient), "dQ/dx");
            }
        }
        finally
        {
            NetworkProgram.KeptScratchBytes = kept;
        }
    }

    public static TheoryData<string, long[]> PaddedCases => new()
    {
        { "mnist1d-cnn", [7, 1, 40] },  // 25 channels, blocked as 32
        {
            """
            input: [3, 15, 12]
            classes: 5
            layers:
              - {type: conv2d, out: 6, kernel: 3, padding: 1}
              - {type: relu}
              - {type: maxpool2d, kernel: 2}
              - {type: conv2d, out: 7, kernel: 3, padding: 1}
              - {type: relu}
              - {type: globalavgpool}
              - {type: linear, out: 5}
            """,
            [7, 3, 15, 12]
        },
    };

    [Theory]
    [MemberData(nameof(PaddedCases))]
    public void NaN_rows_and_passes_leave_the_other_rows_and_passes_alone(string arch, long[] shape)
    {
        // Blocked layouts round channels up (25 to 32, 6 and 7 to 8 or 16), and buffers of the scratch block share space
        // with other buffers of the pass and of other plans: a NaN left in a padding by another row or pass would spread
        // through the zero weights there. oneDNN zeroes a padding when a buffer is set, and its primitives write their
        // outputs' padding whole.
        using var g = new torch.Generator(16);
        using var model = arch.StartsWith("input:") ? YamlModel.Parse(arch, "test.yaml", g) : ModelZoo.Create(arch, 10, shape[1..], g);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(shape, generator: g);
        var seed = torch.randn([shape[0], model.NumClasses], generator: g);
        model.UseProgram = false;
        var (reference, _, referenceGradient) = model.Backward(x, seed);
        model.UseProgram = true;
        Assert.True(model.RunsAsProgram(x));

        model.Backward(x, seed);
        // A smaller pass (it reuses the block) of NaN only, then the first shape again.
        var nan = torch.full([2, .. shape[1..]], float.NaN);
        model.Backward(nan, torch.full([2, model.NumClasses], float.NaN));
        model.Logits(nan);
        var (logits, _, gradient) = model.Backward(x, seed);
        AssertClose(reference, logits, "logits after a NaN pass");
        AssertClose(referenceGradient, gradient, "dQ/dx after a NaN pass");

        // A NaN row in front: the other rows as without it. (The NaN row's own logits are numbers, where the modules'
        // are NaN: oneDNN's ReLU maps NaN to 0.)
        var withNan = torch.cat([nan.narrow(0, 0, 1), x]);
        var (nanLogits, _, nanGradient) = model.Backward(withNan, torch.cat([seed.narrow(0, 0, 1), seed]));
        AssertClose(reference, nanLogits.narrow(0, 1, shape[0]), "logits beside a NaN row");
        AssertClose(referenceGradient, nanGradient.narrow(0, 1, shape[0]), "dQ/dx beside a NaN row");
    }

    [Fact]
    public void A_change_of_the_thread_count_gives_the_same_maps()
    {
        // Plans are built per thread count (oneDNN splits work for the threads there are when it builds a primitive).
        using var model = Model("vgg7", [2, 3, 24, 24]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(13);
        var x = torch.randn([2, 3, 24, 24], generator: g);
        var seed = torch.randn([2, model.NumClasses], generator: g);
        int threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(2);
            var (_, _, two) = model.Backward(x, seed);
            torch.set_num_threads(1);
            var (_, _, one) = model.Backward(x, seed);
            model.UseProgram = false;
            var (_, _, reference) = model.Backward(x, seed);
            AssertClose(reference, two, "dQ/dx at 2 threads");
            AssertClose(reference, one, "dQ/dx at 1 thread");
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [Fact]
    public void A_hook_on_a_container_sends_vgg7_through_the_modules()
    {
        using var model = Model("vgg7", [2, 3, 16, 16]);
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(9);
        var x = torch.randn([2, 3, 16, 16], generator: g);
        Assert.True(model.RunsAsProgram(x));
        var handle = model.Layer("features").register_forward_hook((_, _, output) => output * 2);
        try
        {
            Assert.False(model.RunsAsProgram(x));
            var hooked = model.Logits(x);
            model.UseProgram = false;
            AssertClose(model.Logits(x), hooked, "logits with a hook on features");
        }
        finally
        {
            handle.remove();
        }
        model.UseProgram = true;
        Assert.True(model.RunsAsProgram(x));
        using var wrongSize = torch.zeros([2, 3, 16]);
        Assert.False(model.RunsAsProgram(wrongSize));
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
