using F = XaiGrid.Torch.torch.nn.functional;
using static XaiGrid.Torch.torch.nn;

namespace XaiGrid.Torch.Tests;

/// <summary>
/// Autograd against central finite differences in float64, one test case per differentiable op of the API.
/// The loss is sum_i sum(f_i(x) * w_i) with fixed random weights w_i, so every output element's gradient counts.
/// </summary>
public class GradcheckTests
{
    private const double Eps = 1e-6;
    private const double Tolerance = 1e-6;
    private const ulong Seed = 2024;

    /// <summary>Draws one float64 input of the case from the case's generator.</summary>
    private delegate Tensor Draw(torch.Generator g);

    private sealed record Case(Draw[] Inputs, Func<Tensor[], Tensor[]> F);

    private static Draw Normal(params long[] shape) => g => torch.randn(shape, g, torch.float64);

    /// <summary>Uniform on [0.5, 2): for log, sqrt, pow with a tensor exponent, prod.</summary>
    private static Draw Positive(params long[] shape) => g =>
    {
        using var u = torch.rand(shape, g, torch.float64);
        return u * 1.5 + 0.5;
    };

    /// <summary>|x| >= 0.2: keeps abs, relu and division clear of their kink or pole at 0.</summary>
    private static Draw AwayFromZero(params long[] shape) => g =>
    {
        using var u = torch.randn(shape, g, torch.float64);
        using var sign = u.sign();
        using var magnitude = u.abs() + 0.2;
        return sign * magnitude;
    };

    private static Case One(Draw input, Func<Tensor, Tensor> f) => new([input], x => [f(x[0])]);

    private static Case Two(Draw a, Draw b, Func<Tensor, Tensor, Tensor> f) => new([a, b], x => [f(x[0], x[1])]);

    private static Case Many(Draw[] inputs, Func<Tensor[], Tensor> f) => new(inputs, x => [f(x)]);

    private static Tensor Longs(long[] values, params long[] shape) => torch.tensor(values, shape);

    private static Tensor Bools(bool[] values, params long[] shape) => torch.tensor(values, shape);

    private static Tensor ClassWeights() => torch.tensor(new[] { 0.5, 1.0, 2.0, 0.7, 1.3 });

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // ---- elementwise ----
        ["add"] = Two(Normal(2, 3), Normal(2, 3), (a, b) => a + b),
        ["add broadcast"] = Two(Normal(2, 3), Normal(3), (a, b) => a + b),
        ["add scalar"] = One(Normal(2, 3), x => x + 1.5),
        ["scalar add"] = One(Normal(2, 3), x => 1.5 + x),
        ["sub"] = Two(Normal(2, 3), Normal(2, 3), (a, b) => a - b),
        ["sub scalar"] = One(Normal(2, 3), x => x - 1.5),
        ["scalar sub"] = One(Normal(2, 3), x => 1.5 - x),
        ["mul"] = Two(Normal(2, 3), Normal(2, 1), (a, b) => a * b),
        ["mul scalar"] = One(Normal(2, 3), x => x * -2.5),
        ["scalar mul"] = One(Normal(2, 3), x => -2.5 * x),
        ["div"] = Two(Normal(2, 3), AwayFromZero(2, 3), (a, b) => a / b),
        ["div scalar"] = One(Normal(2, 3), x => x / 2.5),
        ["scalar div"] = One(AwayFromZero(2, 3), x => 2.5 / x),
        ["add_ in place"] = Two(Normal(2, 3), Normal(2, 3), (a, b) => (a * 1.0).add_(b, alpha: 2)),
        ["mul_ in place"] = Two(Normal(2, 3), Normal(2, 3), (a, b) => (a * 1.0).mul_(b).sub_(0.5)),
        ["div_ in place"] = Two(Normal(2, 3), AwayFromZero(2, 3), (a, b) => (a * 1.0).div_(b).div_(3.0)),
        ["clone"] = One(Normal(2, 3), x => x.clone()),
        ["neg"] = One(Normal(2, 3), x => -x),
        ["abs"] = One(AwayFromZero(2, 3), x => x.abs()),
        ["exp"] = One(Normal(2, 3), x => x.exp()),
        ["expm1"] = One(Normal(2, 3), x => x.expm1()),
        ["log"] = One(Positive(2, 3), x => x.log()),
        ["log1p"] = One(Positive(2, 3), x => x.log1p()),
        ["sqrt"] = One(Positive(2, 3), x => x.sqrt()),
        ["rsqrt"] = One(Positive(2, 3), x => x.rsqrt()),
        ["square"] = One(Normal(2, 3), x => x.square()),
        ["sin"] = One(Normal(2, 3), x => x.sin()),
        ["cos"] = One(Normal(2, 3), x => x.cos()),
        ["pow tensor exponent"] = Two(Positive(2, 3), Normal(2, 3), (a, b) => a.pow(b)),
        ["pow integer exponent"] = One(Normal(2, 3), x => x.pow(3)),
        ["pow fractional exponent"] = One(Positive(2, 3), x => x.pow(2.5)),
        ["remainder"] = One(Normal(2, 3), x => x.remainder(0.7)),
        ["clamp"] = One(Normal(3, 4), x => x.clamp(-0.5, 0.8)),
        ["clamp_min"] = One(Normal(3, 4), x => x.clamp_min(-0.3)),
        ["clamp_max"] = One(Normal(3, 4), x => x.clamp_max(0.3)),
        ["relu"] = One(AwayFromZero(3, 4), x => x.relu()),
        ["functional relu"] = One(AwayFromZero(3, 4), F.relu),
        ["sigmoid"] = One(Normal(3, 4), F.sigmoid),
        ["tanh"] = One(Normal(3, 4), F.tanh),
        ["maximum"] = Two(Normal(3, 4), Normal(3, 4), torch.maximum),
        ["minimum"] = Two(Normal(3, 4), Normal(3, 4), torch.minimum),
        ["where"] = Two(Normal(2, 3), Normal(2, 3), (a, b) =>
            torch.where(Bools([true, false, false, true, true, false], 2, 3), a, b)),
        ["masked_fill"] = One(Normal(2, 3), x => x.masked_fill(Bools([false, true, false, false, true, true], 2, 3), 0.7)),

        // ---- indexing and views ----
        ["narrow"] = One(Normal(4, 5), x => x.narrow(1, 1, 3)),
        ["select"] = One(Normal(4, 5), x => x.select(1, 2)),
        ["indexer"] = One(Normal(4, 5), x => x[3]),
        ["index_select"] = One(Normal(4, 5), x => x.index_select(0, Longs([3, 0, 3], 3))),
        ["gather"] = One(Normal(3, 4), x => x.gather(1, Longs([0, 0, 3, 2, 1, 1], 3, 2))),
        ["scatter"] = Two(Normal(3, 4), Normal(3, 2), (x, src) => x.scatter(1, Longs([0, 2, 3, 1, 1, 0], 3, 2), src)),
        ["masked_select"] = One(Normal(2, 3), x => x.masked_select(Bools([true, false, true, true, false, false], 2, 3))),
        ["view"] = One(Normal(2, 6), x => x.view(3, 4)),
        ["reshape"] = One(Normal(2, 6), x => x.t().reshape(4, 3)),
        ["permute"] = One(Normal(2, 3, 4), x => x.permute(2, 0, 1)),
        ["transpose"] = One(Normal(2, 3, 4), x => x.transpose(0, 2)),
        ["t"] = One(Normal(2, 3), x => x.t()),
        ["contiguous"] = One(Normal(2, 3), x => x.t().contiguous()),
        ["flatten"] = One(Normal(2, 3, 4), x => x.flatten(1)),
        ["unsqueeze"] = One(Normal(2, 3), x => x.unsqueeze(1)),
        ["squeeze"] = One(Normal(2, 1, 3), x => x.squeeze()),
        ["squeeze dim"] = One(Normal(2, 1, 3), x => x.squeeze(1)),
        ["expand"] = One(Normal(3, 1), x => x.expand(2, 3, 4)),
        ["repeat"] = One(Normal(2, 3), x => x.repeat(2, 1, 2)),
        ["flip"] = One(Normal(2, 3), x => x.flip(0, 1)),
        ["roll"] = One(Normal(2, 5), x => x.roll([2], [1])),
        ["cat"] = Many([Normal(2, 3), Normal(1, 3), Normal(3, 3)], x => torch.cat(x, 0)),
        ["stack"] = Many([Normal(2, 3), Normal(2, 3)], x => torch.stack(x, 1)),
        ["split size"] = new([Normal(7, 2)], x => x[0].split(3)),
        ["split sizes"] = new([Normal(2, 6)], x => x[0].split([1, 4, 1], 1)),
        ["chunk"] = new([Normal(2, 7)], x => x[0].chunk(3, 1)),

        // ---- reductions ----
        ["sum"] = One(Normal(2, 3, 4), x => x.sum()),
        ["sum dims keepdim"] = One(Normal(2, 3, 4), x => x.sum([0, 2], keepdim: true)),
        ["mean"] = One(Normal(2, 3, 4), x => x.mean()),
        ["mean dim"] = One(Normal(2, 3, 4), x => x.mean(1)),
        ["prod"] = One(Positive(2, 3), x => x.prod()),
        ["max all"] = One(Normal(3, 4), x => x.max()),
        ["min all"] = One(Normal(3, 4), x => x.min()),
        ["max dim"] = One(Normal(3, 4), x => x.max(1).values),
        ["min dim"] = One(Normal(3, 4), x => x.min(0, keepdim: true).values),
        ["amax"] = One(Normal(2, 3, 4), x => x.amax(0, 2)),
        ["amin"] = One(Normal(2, 3, 4), x => x.amin([1], keepdim: true)),
        ["std"] = One(Normal(3, 4), x => x.std()),
        ["std dim biased"] = One(Normal(3, 4), x => x.std(1, unbiased: false)),
        ["var"] = One(Normal(3, 4), x => x.var(0)),
        ["var dims keepdim"] = One(Normal(2, 3, 4), x => x.var([0, 2], keepdim: true)),
        ["topk"] = One(Normal(3, 6), x => x.topk(3).values),
        ["topk smallest dim 0"] = One(Normal(5, 2), x => x.topk(2, dim: 0, largest: false).values),
        ["sort"] = One(Normal(3, 5), x => x.sort().values),
        ["sort descending dim 0"] = One(Normal(4, 3), x => x.sort(0, descending: true).values),
        ["cumsum"] = One(Normal(3, 4), x => x.cumsum(1)),

        // ---- matrix products ----
        ["matmul"] = Two(Normal(2, 3, 4), Normal(4, 5), torch.matmul),
        ["matmul vector"] = Two(Normal(3, 4), Normal(4), torch.matmul),
        ["mm"] = Two(Normal(3, 4), Normal(4, 2), torch.mm),
        ["bmm"] = Two(Normal(2, 3, 4), Normal(2, 4, 5), torch.bmm),
        ["addmm"] = Many([Normal(3, 2), Normal(3, 4), Normal(4, 2)], x => torch.addmm(x[0], x[1], x[2])),
        ["linear"] = Many([Normal(3, 4), Normal(5, 4), Normal(5)], x => F.linear(x[0], x[1], x[2])),
        ["linear no bias"] = Two(Normal(2, 3, 4), Normal(5, 4), (x, w) => F.linear(x, w)),

        // ---- convolution and pooling ----
        ["conv1d"] = Many([Normal(2, 3, 9), Normal(4, 3, 3), Normal(4)], x => F.conv1d(x[0], x[1], x[2])),
        ["conv1d stride padding dilation groups"] = Many([Normal(2, 4, 11), Normal(6, 2, 3), Normal(6)],
            x => F.conv1d(x[0], x[1], x[2], stride: 2, padding: 2, dilation: 2, groups: 2)),
        ["conv2d"] = Many([Normal(2, 3, 6, 5), Normal(4, 3, 3, 3), Normal(4)], x => F.conv2d(x[0], x[1], x[2])),
        ["conv2d stride padding dilation groups"] = Many([Normal(2, 4, 7, 6), Normal(6, 2, 3, 3), Normal(6)],
            x => F.conv2d(x[0], x[1], x[2], stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 2)),
        ["conv2d same"] = Two(Normal(1, 2, 5, 5), Normal(3, 2, 3, 2), (x, w) => F.conv2d(x, w, padding_mode: PaddingModes.Same)),
        ["max_pool1d"] = One(Normal(2, 3, 9), x => F.max_pool1d(x, 3, stride: 2, padding: 1)),
        ["max_pool2d"] = One(Normal(2, 2, 6, 5), x => F.max_pool2d(x, [2])),
        ["max_pool2d stride padding"] = One(Normal(1, 2, 7, 6), x => F.max_pool2d(x, [3, 2], stride: [2, 1], padding: [1, 0])),
        ["max_pool2d_with_indices"] = One(Normal(1, 2, 4, 4), x => F.max_pool2d_with_indices(x, [2]).output),
        ["avg_pool1d"] = One(Normal(2, 3, 9), x => F.avg_pool1d(x, 3, stride: 2, padding: 1)),
        ["avg_pool1d ceil exclude pad"] = One(Normal(2, 3, 8), x =>
            F.avg_pool1d(x, 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false)),
        ["avg_pool2d"] = One(Normal(2, 2, 6, 5), x => F.avg_pool2d(x, [2, 3], stride: [2, 1], padding: [1, 1])),
        ["adaptive_avg_pool1d"] = One(Normal(2, 3, 7), x => F.adaptive_avg_pool1d(x, 3)),
        ["adaptive_avg_pool2d"] = One(Normal(2, 2, 5, 7), x => F.adaptive_avg_pool2d(x, [3, 4])),

        // ---- activations, losses, normalization ----
        ["softmax"] = One(Normal(3, 5), x => F.softmax(x, 1)),
        ["log_softmax"] = One(Normal(3, 5), x => F.log_softmax(x, 0)),
        ["cross_entropy"] = One(Normal(4, 5), x => F.cross_entropy(x, Longs([1, 0, 4, 1], 4))),
        // Class weights are constants: libtorch's nll_loss has no derivative for them (nor has PyTorch's).
        ["cross_entropy weight sum"] = One(Normal(4, 5), x =>
            F.cross_entropy(x, Longs([1, 0, 4, 1], 4), ClassWeights(), reduction: Reduction.Sum)),
        ["cross_entropy label smoothing"] = One(Normal(4, 5), x =>
            F.cross_entropy(x, Longs([1, 0, 4, 1], 4), label_smoothing: 0.1)),
        ["cross_entropy 2-d ignore_index"] = One(Normal(2, 3, 2, 2), x =>
            F.cross_entropy(x, Longs([0, 2, 1, -100, 2, 2, 0, 1], 2, 2, 2))),
        ["nll_loss"] = One(Normal(4, 5), x => F.nll_loss(x, Longs([3, 3, 0, 2], 4))),
        ["nll_loss weight"] = One(Normal(4, 5), x => F.nll_loss(x, Longs([3, 3, 0, 2], 4), ClassWeights())),
        ["mse_loss"] = Two(Normal(3, 4), Normal(3, 4), (a, b) => F.mse_loss(a, b)),
        ["batch_norm training"] = Many([Normal(4, 3, 2, 2), Normal(3), Normal(3)],
            x => F.batch_norm(x[0], null, null, x[1], x[2], training: true)),
        ["batch_norm eval"] = Many([Normal(4, 3, 2), Normal(3), Normal(3)],
            x => F.batch_norm(x[0], torch.tensor(new[] { 0.1, -0.2, 0.3 }), torch.tensor(new[] { 0.5, 1.5, 2.0 }), x[1], x[2])),
        ["dropout"] = One(Normal(4, 5), x =>
        {
            // The same seed for every evaluation: the finite differences see one fixed mask.
            using var g = new torch.Generator(7);
            return F.dropout(x, 0.4, generator: g);
        }),

        // ---- resampling and padding ----
        ["interpolate nearest 1-d"] = One(Normal(1, 2, 3), x => F.interpolate(x, [7])),
        ["interpolate nearest 2-d"] = One(Normal(1, 2, 3, 4), x => F.interpolate(x, [5, 6])),
        ["interpolate linear"] = One(Normal(1, 2, 4), x => F.interpolate(x, [7], InterpolationMode.Linear, align_corners: false)),
        ["interpolate linear align_corners"] = One(Normal(1, 2, 4), x => F.interpolate(x, [7], InterpolationMode.Linear, align_corners: true)),
        ["interpolate bilinear"] = One(Normal(1, 2, 3, 4), x => F.interpolate(x, [5, 7], InterpolationMode.Bilinear, align_corners: false)),
        ["interpolate bilinear align_corners"] = One(Normal(1, 2, 3, 4), x =>
            F.interpolate(x, [5, 7], InterpolationMode.Bilinear, align_corners: true)),
        ["interpolate bilinear downsample"] = One(Normal(1, 1, 6, 5), x => F.interpolate(x, [4, 2], InterpolationMode.Bilinear)),
        ["pad constant"] = One(Normal(1, 2, 3, 4), x => F.pad(x, [1, 2, 0, 1], value: 0.5)),
        ["pad reflect 1-d"] = One(Normal(1, 2, 5), x => F.pad(x, [2, 1], PaddingMode.Reflect)),
        ["pad reflect 2-d"] = One(Normal(1, 2, 4, 5), x => F.pad(x, [1, 2, 2, 1], PaddingMode.Reflect)),
        ["pad replicate 1-d"] = One(Normal(1, 2, 4), x => F.pad(x, [1, 3], PaddingMode.Replicate)),
        ["pad replicate 2-d"] = One(Normal(1, 2, 3, 4), x => F.pad(x, [2, 1, 1, 2], PaddingMode.Replicate)),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void AutogradMatchesFiniteDifferences(string name)
    {
        var errors = Gradcheck(Cases[name], Seed);
        for (int i = 0; i < errors.Length; i++)
            Assert.True(errors[i] < Tolerance, $"{name}: input {i} relative error {errors[i]:E2}");
    }

    // ---- autograd API ----

    [Fact]
    public void CreateGraphGivesSecondDerivative()
    {
        using var scope = torch.NewDisposeScope();
        double[] xs = [1.5, -2.0, 0.25];
        var x = torch.tensor(xs, requires_grad: true);
        var y = x.pow(3).sum();
        var dy = torch.autograd.grad([y], [x], create_graph: true)[0]!;
        Assert.True(dy.requires_grad);
        TensorAssert.Close(xs.Select(v => 3 * v * v).ToArray(), dy, 1e-12);
        var d2y = torch.autograd.grad([dy.sum()], [x])[0]!;
        TensorAssert.Close(xs.Select(v => 6 * v).ToArray(), d2y, 1e-12);
    }

    [Fact]
    public void RetainGraphAllowsASecondPassAndItsAbsenceDoesNot()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var y = (x * x).exp().sum();
        var first = torch.autograd.grad([y], [x], retain_graph: true)[0]!;
        var second = torch.autograd.grad([y], [x])[0]!;
        // d/dx exp(x^2) = 2x exp(x^2)
        TensorAssert.Close([2 * Math.Exp(1), 4 * Math.Exp(4)], first, 1e-9);
        TensorAssert.Close(first.data<double>(), second, 0);
        var e = Assert.Throws<TorchException>(() => torch.autograd.grad([y], [x]));
        Assert.Contains("backward through the graph a second time", e.Message);
    }

    [Fact]
    public void GradOutputsWeighANonScalarOutput()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1.0, -1.0, 3.0 }, requires_grad: true);
        var y = x * x;
        var v = torch.tensor(new[] { 0.5, 2.0, -1.0 });
        // vector-Jacobian product: v * 2x
        TensorAssert.Close([1.0, -4.0, -6.0], torch.autograd.grad([y], [x], [v])[0]!, 1e-12);
        var e = Assert.Throws<TorchException>(() => torch.autograd.grad([y], [x]));
        Assert.Contains("only for scalar outputs", e.Message);
    }

    [Fact]
    public void AllowUnusedGivesNullForAnUnusedInput()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 2.0 }, requires_grad: true);
        var unused = torch.tensor(new[] { 5.0 }, requires_grad: true);
        var y = (x * 3.0).sum();
        var grads = torch.autograd.grad([y], [x, unused], retain_graph: true, allow_unused: true);
        TensorAssert.Close([3.0], grads[0]!, 1e-12);
        Assert.Null(grads[1]);
        var e = Assert.Throws<TorchException>(() => torch.autograd.grad([y], [x, unused]));
        Assert.Contains("appears to not have been used in the graph", e.Message);
    }

    [Fact]
    public void NoGradAndEnableGradNest()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([2], requires_grad: true);
        Assert.True(torch.is_grad_enabled());
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2.0).requires_grad);
            using (torch.enable_grad())
            {
                Assert.True(torch.is_grad_enabled());
                Assert.True((x * 2.0).requires_grad);
                using (torch.no_grad()) Assert.False((x * 2.0).requires_grad);
                Assert.True(torch.is_grad_enabled());
            }
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2.0).requires_grad);
        }
        Assert.True(torch.is_grad_enabled());
        using (torch.set_grad_enabled(false)) Assert.False(torch.is_grad_enabled());
        Assert.True((x * 2.0).requires_grad);
    }

    [Fact]
    public void RequiresGradLeavesAndDetach()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros([3], torch.float64);
        Assert.False(x.requires_grad);
        Assert.False((x + 1.0).requires_grad);
        x.requires_grad_();
        Assert.True(x.requires_grad);
        Assert.True(x.is_leaf);
        var y = x * 2.0;
        Assert.True(y.requires_grad);
        Assert.False(y.is_leaf);
        Assert.False(y.detach().requires_grad);
        Assert.Throws<TorchException>(() => torch.ones([2], torch.int64).requires_grad_());
    }

    [Fact]
    public void GradIsNullBeforeBackwardAndAccumulatesOverCalls()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        Assert.Null(x.grad);
        (x * x).sum().backward();
        TensorAssert.Close([2.0, 4.0, 6.0], x.grad!, 1e-12);
        (x * 3.0).sum().backward();
        TensorAssert.Close([5.0, 7.0, 9.0], x.grad!, 1e-12);
        x.grad = null;
        Assert.Null(x.grad);
    }

    [Fact]
    public void BackwardTakesAGradientAndRetainGradKeepsAnIntermediate()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1.0, -2.0 }, requires_grad: true);
        var h = (x * 3.0).retain_grad();
        var y = h * h;
        y.backward(torch.tensor(new[] { 1.0, 0.5 }));
        // dy/dh = 2h = 6x, weighted by (1, 0.5); dy/dx = 3 dy/dh.
        TensorAssert.Close([6.0, -6.0], h.grad!, 1e-12);
        TensorAssert.Close([18.0, -18.0], x.grad!, 1e-12);
    }

    /// <summary>
    /// Relative error norm(analytic - numeric) / norm(numeric) of the gradient of each input of <paramref name="c"/>.
    /// </summary>
    private static double[] Gradcheck(Case c, ulong seed)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(seed);
        var drawn = c.Inputs.Select(draw => draw(g)).ToArray();
        var values = drawn.Select(t => t.data<double>()).ToArray();
        var shapes = drawn.Select(t => t.shape).ToArray();

        Tensor[] Leaves(bool requiresGrad) =>
            values.Select((v, i) => torch.tensor(v, shapes[i], requires_grad: requiresGrad)).ToArray();

        var leaves = Leaves(true);
        var outputs = c.F(leaves);
        var weights = outputs.Select(o => torch.randn(o.shape, g, torch.float64)).ToArray();

        Tensor Loss(Tensor[] outs)
        {
            Assert.Equal(weights.Length, outs.Length);
            var total = torch.zeros([], torch.float64);
            for (int i = 0; i < outs.Length; i++)
            {
                Assert.Equal(torch.float64, outs[i].dtype);
                total += (outs[i] * weights[i]).sum();
            }
            return total;
        }

        var analytic = torch.autograd.grad([Loss(outputs)], leaves);

        double Evaluate()
        {
            using var inner = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            return Loss(c.F(Leaves(false))).item<double>();
        }

        var errors = new double[values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            var numeric = new double[values[k].Length];
            for (int j = 0; j < numeric.Length; j++)
            {
                double saved = values[k][j];
                values[k][j] = saved + Eps;
                double plus = Evaluate();
                values[k][j] = saved - Eps;
                double minus = Evaluate();
                values[k][j] = saved;
                numeric[j] = (plus - minus) / (2 * Eps);
            }
            var a = analytic[k] ?? throw new Xunit.Sdk.XunitException($"input {k} got no gradient");
            Assert.Equal(shapes[k], a.shape);
            var av = a.data<double>();
            double diff = 0, norm = 0;
            for (int j = 0; j < numeric.Length; j++)
            {
                diff += (av[j] - numeric[j]) * (av[j] - numeric[j]);
                norm += numeric[j] * numeric[j];
            }
            Assert.True(norm > 0, $"input {k}: the numeric gradient is zero, so the case checks nothing");
            errors[k] = Math.Sqrt(diff) / Math.Sqrt(norm);
        }
        return errors;
    }
}
