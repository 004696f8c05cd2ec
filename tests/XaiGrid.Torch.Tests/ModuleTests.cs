using System.Text.Json;
using XaiGrid.Torch.Modules;
using static XaiGrid.Torch.torch.nn;
using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Tests;

/// <summary>
/// torch.nn modules: outputs against the functional ops and hand computations, state-dict names, values and seeded
/// initialization against python3-torch, load_state_dict and its errors, forward hooks, BatchNorm2d statistics.
/// </summary>
public class ModuleTests
{
    /// <summary>A small VGG-like net: conv, BatchNorm, pools, grouped 'same' conv without bias, dropout, linear.</summary>
    private sealed class Net : Module
    {
        public Net(torch.Generator? g)
        {
            register_module("features", Sequential(
                Conv2d(3, 4, 3, padding: 1, generator: g), BatchNorm2d(4), ReLU(), MaxPool2d(2),
                Conv2d(4, 6, 3, groups: 2, bias: false, padding_mode: PaddingModes.Same, generator: g), ReLU()));
            register_module("pool", AdaptiveAvgPool2d(1));
            register_module("classifier", Sequential(Flatten(), Dropout(0.5), Linear(6, 5, generator: g)));
        }

        public override Tensor forward(Tensor x)
        {
            using var f = get_submodule("features").call(x);
            using var p = get_submodule("pool").call(f);
            return get_submodule("classifier").call(p);
        }
    }

    /// <summary>The mnist1d-cnn of DESIGN.md: conv1..conv3 with ReLU after each, flatten, linear.</summary>
    private sealed class Cnn : Module
    {
        public Cnn(long in_channels = 1, torch.Generator? g = null)
        {
            register_module("conv1", Conv1d(in_channels, 25, 5, stride: 2, padding: 1, generator: g));
            register_module("conv2", Conv1d(25, 25, 3, stride: 2, padding: 1, generator: g));
            register_module("conv3", Conv1d(25, 25, 3, stride: 2, padding: 1, generator: g));
            register_module("linear", Linear(125, 10, generator: g));
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var h = x;
            foreach (var name in new[] { "conv1", "conv2", "conv3" })
            {
                using var z = get_submodule(name).call(h);
                h = z.relu();
            }
            using var flat = h.flatten(1);
            return get_submodule("linear").call(flat).MoveToOuterDisposeScope();
        }
    }

    private const string PythonModels = """
        import json, torch
        torch.manual_seed(3)
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.features = torch.nn.Sequential(
                    torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                    torch.nn.Conv2d(4, 6, 3, padding='same', groups=2, bias=False), torch.nn.ReLU())
                self.pool = torch.nn.AdaptiveAvgPool2d(1)
                self.classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(6, 5))
            def forward(self, x):
                return self.classifier(self.pool(self.features(x)))
        net = Net()
        cnn = torch.nn.Module()
        cnn.conv1 = torch.nn.Conv1d(1, 25, 5, stride=2, padding=1)
        cnn.conv2 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
        cnn.conv3 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
        cnn.linear = torch.nn.Linear(125, 10)
        x = torch.sin(torch.arange(2 * 3 * 8 * 8, dtype=torch.float32) * 0.37).reshape(2, 3, 8, 8)
        def sd(m):
            return [[k, list(v.shape), str(v.dtype), v.flatten().tolist()] for k, v in m.state_dict().items()]
        with torch.no_grad():
            net.eval()
            out = net(x)
            net.train()
            net.features(x)
        print(json.dumps({'x': x.flatten().tolist(), 'out_eval': out.flatten().tolist(), 'net': sd(net), 'cnn': sd(cnn)}))
        """;

    [Fact]
    public void StateDictNamesOrderValuesAndSeededInitMatchPyTorch()
    {
        var reference = IoTestSupport.PythonJson(PythonModels);
        using var scope = torch.NewDisposeScope();
        // One generator drawn in PyTorch's construction order: the same MT19937 stream as torch.manual_seed(3).
        using var g = new torch.Generator(3);
        using var net = new Net(g);
        using var cnn = new Cnn(g: g);
        var xValues = IoTestSupport.Values(reference.GetProperty("x")).Select(v => (float)v).ToArray();
        var x = torch.tensor(xValues, [2, 3, 8, 8]);

        net.eval();
        Tensor outEval;
        using (torch.no_grad())
        {
            outEval = net.call(x);
            net.train();
            net.get_submodule("features").call(x);
        }
        TensorAssert.Close(IoTestSupport.Values(reference.GetProperty("out_eval")), outEval, 1e-6);

        AssertStateDict(reference.GetProperty("net"), net);
        AssertStateDict(reference.GetProperty("cnn"), cnn);
    }

    private static void AssertStateDict(JsonElement expected, Module model)
    {
        var actual = model.state_dict();
        var entries = expected.EnumerateArray().ToList();
        Assert.Equal(entries.Select(e => e[0].GetString()!), actual.Keys);
        foreach (var e in entries)
        {
            string name = e[0].GetString()!;
            var t = actual[name];
            Assert.Equal(IoTestSupport.Longs(e[1]), t.shape);
            Assert.Equal(e[2].GetString() == "torch.int64" ? torch.int64 : torch.float32, t.dtype);
            // Weights drawn from the same seed, and running statistics from the same batch, are the same numbers.
            IoTestSupport.AssertValues(e[3], t, name);
        }
    }

    [Fact]
    public void Conv1dMatchesHandComputedConvolution()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(11);
        using var conv = Conv1d(4, 6, 3, stride: 2, padding: 2, dilation: 2, groups: 2, generator: g);
        conv.to(torch.float64);
        var x = torch.randn([2, 4, 9], g, torch.float64);
        var y = conv.call(x);

        double[] xs = x.data<double>(), w = conv.weight.data<double>(), b = conv.bias!.data<double>();
        const int N = 2, C = 4, L = 9, O = 6, K = 3, S = 2, P = 2, D = 2, G = 2;
        int lout = (L + 2 * P - D * (K - 1) - 1) / S + 1;
        var expected = new double[N * O * lout];
        for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
        for (int t = 0; t < lout; t++)
        {
            int group = o / (O / G);
            double sum = b[o];
            for (int ci = 0; ci < C / G; ci++)
            for (int k = 0; k < K; k++)
            {
                int pos = t * S + k * D - P;
                if (pos < 0 || pos >= L) continue;
                sum += w[(o * (C / G) + ci) * K + k] * xs[(n * C + group * (C / G) + ci) * L + pos];
            }
            expected[(n * O + o) * lout + t] = sum;
        }
        TensorAssert.Close([N, O, lout], expected, y, 1e-12);
    }

    [Fact]
    public void ModuleOutputsEqualTheFunctionalOps()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(5);
        var x = torch.randn([2, 4, 9, 9], g);
        var x1 = torch.randn([2, 4, 12], g);

        using var conv2 = Conv2d(4, 6, 3, stride: 2, padding: 1, dilation: 2, groups: 2, generator: g);
        AssertSame(F.conv2d(x, conv2.weight, conv2.bias, [2, 2], [1, 1], [2, 2], 2), conv2.call(x));
        using var conv1 = Conv1d(4, 3, 5, stride: 3, generator: g);
        AssertSame(F.conv1d(x1, conv1.weight, conv1.bias, 3), conv1.call(x1));
        using var linear = Linear(9, 7, generator: g);
        AssertSame(F.linear(x, linear.weight, linear.bias), linear.call(x));
        TensorAssert.Close(IoTestSupport.Values(x.matmul(linear.weight.t()) + linear.bias!), linear.call(x), 1e-5);

        using var maxPool2 = MaxPool2d(3, stride: 2, padding: 1);
        AssertSame(F.max_pool2d(x, [3], [2], [1]), maxPool2.call(x));
        using var maxPool1 = MaxPool1d(2);
        AssertSame(F.max_pool1d(x1, 2, 2), maxPool1.call(x1));
        using var avgPool2 = AvgPool2d(2, padding: 1, count_include_pad: false);
        AssertSame(F.avg_pool2d(x, [2], [2], [1], count_include_pad: false), avgPool2.call(x));
        using var avgPool1 = AvgPool1d(3, stride: 2, ceil_mode: true);
        AssertSame(F.avg_pool1d(x1, 3, 2, ceil_mode: true), avgPool1.call(x1));
        using var adaptive = AdaptiveAvgPool2d(1);
        TensorAssert.Close([2, 4, 1, 1], IoTestSupport.Values(x.mean([2, 3], keepdim: true)), adaptive.call(x), 1e-6);
        using var adaptive2 = AdaptiveAvgPool2d(3, 3);
        TensorAssert.Close([2, 4, 3, 3], IoTestSupport.Values(F.avg_pool2d(x, [3])), adaptive2.call(x), 1e-6);
        using var flatten = Flatten();
        AssertSame(x.reshape(2, -1), flatten.call(x));
        using var relu = ReLU();
        AssertSame(x.clamp_min(0), relu.call(x));
    }

    private static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(IoTestSupport.Bits(expected), IoTestSupport.Bits(actual));
    }

    [Fact]
    public void SameAndValidPaddingModes()
    {
        using var scope = torch.NewDisposeScope();
        using var same1 = Conv1d(2, 3, 4, dilation: 2, padding_mode: PaddingModes.Same);
        using var valid1 = Conv1d(2, 3, 4, padding_mode: PaddingModes.Valid);
        using var same2 = Conv2d(2, 3, 5, padding_mode: PaddingModes.Same);
        var x1 = torch.ones([1, 2, 11]);
        var x2 = torch.ones([1, 2, 7, 6]);
        Assert.Equal(new long[] { 1, 3, 11 }, same1.call(x1).shape);
        Assert.Equal(new long[] { 1, 3, 8 }, valid1.call(x1).shape);
        Assert.Equal(new long[] { 1, 3, 7, 6 }, same2.call(x2).shape);
        var e = Assert.Throws<ArgumentException>(() => Conv2d(2, 3, 3, stride: 2, padding_mode: PaddingModes.Same));
        Assert.Contains("'same' is not supported for strided convolutions", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv1d(3, 4, 3, groups: 2));
        Assert.Contains("in_channels (3) must be divisible by groups (2)", e.Message);
    }

    [Fact]
    public void DefaultInitStaysWithinPyTorchBoundsAndFollowsTheSeed()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(21);
        using var conv2 = Conv2d(3, 16, 5, generator: g);
        using var conv1 = Conv1d(25, 25, 3, groups: 5, generator: g);
        using var linear = Linear(125, 10, generator: g);
        // kaiming_uniform_(a = sqrt(5)) and the bias rule both give uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        AssertUniform(conv2.weight, 1 / Math.Sqrt(3 * 5 * 5));
        AssertUniform(conv2.bias!, 1 / Math.Sqrt(3 * 5 * 5));
        AssertUniform(conv1.weight, 1 / Math.Sqrt(5 * 3));
        AssertUniform(linear.weight, 1 / Math.Sqrt(125));
        AssertUniform(linear.bias!, 1 / Math.Sqrt(125));
        Assert.True(conv2.weight.is_leaf && conv2.weight.requires_grad);

        using var g1 = new torch.Generator(8);
        using var g2 = new torch.Generator(8);
        using var g3 = new torch.Generator(9);
        using var a = Linear(30, 20, generator: g1);
        using var b = Linear(30, 20, generator: g2);
        using var c = Linear(30, 20, generator: g3);
        Assert.Equal(IoTestSupport.Bits(a.weight), IoTestSupport.Bits(b.weight));
        Assert.NotEqual(IoTestSupport.Bits(a.weight), IoTestSupport.Bits(c.weight));
    }

    private static void AssertUniform(Tensor t, double bound)
    {
        var v = IoTestSupport.Values(t);
        Assert.All(v, x => Assert.InRange(x, -bound, bound));
        // Spread over the whole interval: the extremes of n uniform draws sit within about bound * 2 / n of the ends.
        double margin = bound * 20.0 / v.Length;
        Assert.True(v.Max() > bound - margin && v.Min() < -bound + margin, $"draws span [{v.Min()}, {v.Max()}], bound {bound}");
    }

    [Fact]
    public void LoadStateDictCopiesValuesIn()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new torch.Generator(1);
        using var g2 = new torch.Generator(2);
        using var a = new Net(g1);
        using var b = new Net(g2);
        a.eval();
        b.eval();
        var x = torch.randn([2, 3, 8, 8], g1);
        a.get_submodule("features").train();
        using (torch.no_grad()) a.get_submodule("features").call(x);
        a.eval();
        Assert.NotEqual(IoTestSupport.Bits(a.call(x)), IoTestSupport.Bits(b.call(x)));

        var (missing, unexpected) = b.load_state_dict(a.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(IoTestSupport.Bits(a.call(x)), IoTestSupport.Bits(b.call(x)));
        var bn = (BatchNorm2d)b.get_submodule("features.1");
        Assert.Equal(1L, bn.num_batches_tracked!.item<long>());

        // Copied, not shared: changing the source afterwards leaves the loaded model alone.
        var before = IoTestSupport.Bits(b.call(x));
        using (torch.no_grad()) a.parameters().First().add_(1.0);
        Assert.Equal(before, IoTestSupport.Bits(b.call(x)));
        Assert.True(b.parameters().All(p => p.is_leaf && p.requires_grad));
    }

    [Fact]
    public void LoadStateDictNamesMissingUnexpectedAndMisshapenKeysAndChangesNothing()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(4);
        using var oneChannel = new Cnn(1, g);
        using var twoChannels = new Cnn(2, g);
        var before = IoTestSupport.Bits(twoChannels.get_submodule("conv2").parameters().First());

        var e = Assert.Throws<TorchException>(() => twoChannels.load_state_dict(oneChannel.state_dict()));
        Assert.Contains("conv1.weight: checkpoint has shape [25, 1, 5] but the model has [25, 2, 5]", e.Message);
        Assert.Contains(nameof(Cnn), e.Message);
        Assert.Equal(before, IoTestSupport.Bits(twoChannels.get_submodule("conv2").parameters().First()));

        var state = oneChannel.state_dict();
        state.Remove("linear.bias");
        state.Remove("conv3.weight");
        state["extra.weight"] = torch.zeros([3]);
        using var other = new Cnn(1, g);
        e = Assert.Throws<TorchException>(() => other.load_state_dict(state));
        Assert.Contains("missing keys: conv3.weight, linear.bias", e.Message);
        Assert.Contains("unexpected keys: extra.weight", e.Message);

        var (missing, unexpected) = other.load_state_dict(state, strict: false);
        Assert.Equal(new[] { "conv3.weight", "linear.bias" }, missing);
        Assert.Equal(new[] { "extra.weight" }, unexpected);
        Assert.Equal(IoTestSupport.Bits(state["conv1.weight"]), IoTestSupport.Bits(other.get_submodule("conv1").parameters().First()));
    }

    [Fact]
    public void NamedModulesChildrenBuffersAndSubmoduleLookup()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net(null);
        Assert.Equal(new[] { "", "features", "features.0", "features.1", "features.2", "features.3", "features.4", "features.5",
            "pool", "classifier", "classifier.0", "classifier.1", "classifier.2" }, net.named_modules().Select(m => m.name));
        Assert.Equal(new[] { "features", "pool", "classifier" }, net.named_children().Select(c => c.name));
        Assert.Equal(new[] { "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.4.weight",
            "classifier.2.weight", "classifier.2.bias" }, net.named_parameters().Select(p => p.name));
        Assert.Equal(new[] { "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked" },
            net.named_buffers().Select(b => b.name));
        Assert.IsType<MaxPool2d>(net.get_submodule("features.3"));
        var features = (Sequential)net.get_submodule("features");
        Assert.Same(features[4], net.get_submodule("features.4"));
        Assert.Equal(6, features.Count);

        var e = Assert.Throws<KeyNotFoundException>(() => net.get_submodule("features.9"));
        Assert.Contains("'features.9'", e.Message);
        Assert.Contains("features, features.0, features.1, features.2, features.3, features.4, features.5, pool, classifier", e.Message);

        net.eval();
        Assert.All(net.modules(), m => Assert.False(m.training));
        net.train();
        Assert.All(net.modules(), m => Assert.True(m.training));

        using var named = Sequential(("conv", Conv1d(1, 2, 3)), ("act", ReLU()));
        Assert.Equal(new[] { "conv.weight", "conv.bias" }, named.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => named.register_module("a.b", ReLU()));
        Assert.Throws<ArgumentException>(() => named.register_parameter("conv", torch.zeros([1])));
    }

    [Fact]
    public void ZeroGradDropsGradientsAndToConvertsFloatingTensorsOnly()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net(null);
        var x = torch.randn([2, 3, 8, 8]);
        net.call(x).sum().backward();
        Assert.All(net.parameters(), p => Assert.NotNull(p.grad));
        net.zero_grad();
        Assert.All(net.parameters(), p => Assert.Null(p.grad));

        var returned = net.to(torch.float64);
        Assert.Same(net, returned);
        Assert.All(net.parameters(), p => Assert.True(p.dtype == torch.float64 && p.is_leaf && p.requires_grad));
        Assert.Equal(torch.float64, net.named_buffers().Single(b => b.name == "features.1.running_var").buffer.dtype);
        Assert.Equal(torch.int64, net.named_buffers().Single(b => b.name == "features.1.num_batches_tracked").buffer.dtype);
        Assert.Equal(torch.float64, net.call(x.@double()).dtype);
    }

    [Fact]
    public void ForwardHookReadsALayerOutputAndItsGradient()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(6);
        using var cnn = new Cnn(1, g);
        var x = torch.randn([3, 1, 40], g);
        var conv2 = (Conv1d)cnn.get_submodule("conv2");
        Tensor? captured = null;
        using var handle = conv2.register_forward_hook((module, input, output) =>
        {
            Assert.Same(conv2, module);
            // Its own handle, outside any dispose scope (Cnn.forward runs one): the test disposes it.
            captured = output.alias().DetachFromDisposeScope();
            captured.retain_grad();
            return null;
        });
        var y = cnn.call(x);
        y.select(1, 4).sum().backward();

        // The captured output is conv2's own computation, before the ReLU that follows it.
        var conv1 = (Conv1d)cnn.get_submodule("conv1");
        var a1 = F.conv1d(x, conv1.weight, conv1.bias, 2, 1).relu();
        var a2 = F.conv1d(a1, conv2.weight, conv2.bias, 2, 1);
        AssertSame(a2, captured!);

        // Its retained gradient is d(sum of logit 4)/d(conv2 output), as autograd computes from that point on.
        var leaf = a2.detach().requires_grad_();
        var conv3 = (Conv1d)cnn.get_submodule("conv3");
        var linear = (Linear)cnn.get_submodule("linear");
        var rest = F.linear(F.conv1d(leaf.relu(), conv3.weight, conv3.bias, 2, 1).relu().flatten(1), linear.weight, linear.bias);
        var expected = torch.autograd.grad([rest.select(1, 4).sum()], [leaf])[0]!;
        TensorAssert.Close(IoTestSupport.Values(expected), captured!.grad!, 1e-6);
        captured.Dispose();
    }

    [Fact]
    public void ForwardHookReplacementChangesTheModelOutputUntilRemoved()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(7);
        using var cnn = new Cnn(1, g);
        var x = torch.randn([2, 1, 40], g);
        var original = cnn.call(x);
        var keep = new float[25];
        foreach (int c in new[] { 0, 3, 17, 24 }) keep[c] = 1;
        var mask = torch.tensor(keep, [1, 25, 1]);

        var conv3 = (Conv1d)cnn.get_submodule("conv3");
        var handle = conv3.register_forward_hook((_, _, output) => output * mask);
        var compressed = cnn.call(x);

        var conv1 = (Conv1d)cnn.get_submodule("conv1");
        var conv2 = (Conv1d)cnn.get_submodule("conv2");
        var linear = (Linear)cnn.get_submodule("linear");
        var h = F.conv1d(x, conv1.weight, conv1.bias, 2, 1).relu();
        h = F.conv1d(h, conv2.weight, conv2.bias, 2, 1).relu();
        h = (F.conv1d(h, conv3.weight, conv3.bias, 2, 1) * mask).relu();
        var expected = F.linear(h.flatten(1), linear.weight, linear.bias);
        TensorAssert.Close(IoTestSupport.Values(expected), compressed, 1e-6);
        Assert.NotEqual(IoTestSupport.Bits(original), IoTestSupport.Bits(compressed));

        handle.Dispose();
        Assert.Equal(IoTestSupport.Bits(original), IoTestSupport.Bits(cnn.call(x)));
    }

    [Fact]
    public void BatchNorm2dTrainingMatchesHandComputedStatistics()
    {
        using var scope = torch.NewDisposeScope();
        double[] x1 = [1, 2, 4, 0, -1, 3, /* n1 */ 5, 7, -2, 0.5, 0.25, 1];
        double[] x2 = [3, -3, 2, 2, 8, 1, /* n1 */ -1, 0, 6, 4, 4, -5];
        double[] w = [1.5, -0.5], b = [0.1, 0.2];
        const double eps = 1e-5;
        using var bn = BatchNorm2d(2, eps: eps);
        bn.to(torch.float64);
        using (torch.no_grad())
        {
            bn.weight!.copy_(torch.tensor(w));
            bn.bias!.copy_(torch.tensor(b));
        }
        double[] runMean = [0, 0], runVar = [1, 1];
        foreach (var xs in new[] { x1, x2 })
        {
            var (mean, biased, unbiased) = ChannelStats(xs);
            var y = bn.call(torch.tensor(xs, [2, 2, 1, 3]));
            TensorAssert.Close([2, 2, 1, 3], Normalize(xs, mean, biased, w, b, eps), y, 1e-12);
            for (int c = 0; c < 2; c++)
            {
                runMean[c] = 0.9 * runMean[c] + 0.1 * mean[c];
                runVar[c] = 0.9 * runVar[c] + 0.1 * unbiased[c];
            }
            TensorAssert.Close(runMean, bn.running_mean!, 1e-12);
            TensorAssert.Close(runVar, bn.running_var!, 1e-12);
        }
        Assert.Equal(2L, bn.num_batches_tracked!.item<long>());

        bn.eval();
        var evalOut = bn.call(torch.tensor(x1, [2, 2, 1, 3]));
        TensorAssert.Close(Normalize(x1, runMean, runVar, w, b, eps), evalOut, 1e-12);
        Assert.Equal(2L, bn.num_batches_tracked!.item<long>());

        // momentum null: a cumulative average of the batch statistics.
        using var cumulative = BatchNorm2d(2, momentum: null);
        cumulative.to(torch.float64);
        foreach (var xs in new[] { x1, x2 }) cumulative.call(torch.tensor(xs, [2, 2, 1, 3]));
        var (m1, _, v1) = ChannelStats(x1);
        var (m2, _, v2) = ChannelStats(x2);
        TensorAssert.Close([(m1[0] + m2[0]) / 2, (m1[1] + m2[1]) / 2], cumulative.running_mean!, 1e-12);
        TensorAssert.Close([(v1[0] + v2[0]) / 2, (v1[1] + v2[1]) / 2], cumulative.running_var!, 1e-12);
    }

    /// <summary>Per-channel mean, biased and unbiased variance of a (2, 2, 1, 3) batch.</summary>
    private static (double[] mean, double[] biased, double[] unbiased) ChannelStats(double[] xs)
    {
        var mean = new double[2];
        var biased = new double[2];
        var unbiased = new double[2];
        for (int c = 0; c < 2; c++)
        {
            var v = Channel(xs, c).ToArray();
            mean[c] = v.Average();
            double ss = v.Sum(e => (e - mean[c]) * (e - mean[c]));
            biased[c] = ss / v.Length;
            unbiased[c] = ss / (v.Length - 1);
        }
        return (mean, biased, unbiased);
    }

    private static IEnumerable<double> Channel(double[] xs, int c)
    {
        for (int n = 0; n < 2; n++)
        for (int i = 0; i < 3; i++)
            yield return xs[(n * 2 + c) * 3 + i];
    }

    private static double[] Normalize(double[] xs, double[] mean, double[] variance, double[] w, double[] b, double eps)
    {
        var y = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 3 % 2;
            y[i] = (xs[i] - mean[c]) / Math.Sqrt(variance[c] + eps) * w[c] + b[c];
        }
        return y;
    }

    [Fact]
    public void DropoutDrawsFromItsGeneratorInTrainingAndIsTheIdentityInEval()
    {
        using var scope = torch.NewDisposeScope();
        using var g0 = new torch.Generator(1);
        var x = torch.randn([4, 50], g0);
        using var g1 = new torch.Generator(9);
        using var g2 = new torch.Generator(9);
        using var dropout = Dropout(0.3, g1);
        var y = dropout.call(x);
        AssertSame(F.dropout(x, 0.3, true, g2), y);
        double[] xs = x.data<float>().Select(v => (double)v).ToArray(), ys = IoTestSupport.Values(y);
        for (int i = 0; i < xs.Length; i++)
            Assert.True(ys[i] == 0 || Math.Abs(ys[i] - xs[i] / 0.7) < 1e-6, $"element {i}: {ys[i]} is neither 0 nor x / 0.7");
        Assert.InRange(ys.Count(v => v == 0), 30, 90);

        dropout.eval();
        AssertSame(x, dropout.call(x));
    }
}
