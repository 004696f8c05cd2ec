using static XaiGrid.Torch.torch.optim;

namespace XaiGrid.Torch.Tests;

/// <summary>
/// SGD and Adam against their published update rules (torch.optim's documentation and its 1.13 single-tensor code),
/// computed here in plain doubles; per-parameter state; bit-exact checkpoint and resume; state-dict errors.
/// </summary>
public class OptimTests
{
    // loss(p) = sum(a p^2 / 2 + c p), so grad = a p + c: gradients change from step to step as p moves.
    private static readonly double[] P0 = [0.5, -1.2, 2.0, 0.3];
    private static readonly double[] A = [1.0, 2.0, 0.5, 3.0];
    private static readonly double[] C = [0.1, -0.4, 0.2, 0.05];

    private static double[] Grad(double[] p) => p.Select((v, i) => A[i] * v + C[i]).ToArray();

    private static Tensor Loss(Tensor p)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(A[..(int)p.numel()]);
        var c = torch.tensor(C[..(int)p.numel()]);
        return ((a * p * p).sum() * 0.5 + (c * p).sum()).MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="steps"/> steps on P0 and returns the parameter after each.</summary>
    private static double[][] Run(Func<Tensor[], Optimizer> make, int steps)
    {
        using var p = torch.tensor(P0).requires_grad_();
        using var optimizer = make([p]);
        var trajectory = new double[steps][];
        for (int t = 0; t < steps; t++)
        {
            // A scope per step: state the optimizer made in an earlier step must outlive it.
            using (torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                Loss(p).backward();
                optimizer.step();
            }
            trajectory[t] = p.data<double>();
        }
        return trajectory;
    }

    private static double[][] SgdReference(double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false, int steps = 3)
    {
        var p = (double[])P0.Clone();
        double[]? buf = null;
        var trajectory = new double[steps][];
        for (int t = 0; t < steps; t++)
        {
            var g = Grad(p);
            for (int i = 0; i < p.Length; i++)
            {
                if (maximize) g[i] = -g[i];
                g[i] += weight_decay * p[i];
            }
            if (momentum != 0)
            {
                if (buf is null) buf = (double[])g.Clone();
                else for (int i = 0; i < p.Length; i++) buf[i] = momentum * buf[i] + (1 - dampening) * g[i];
                for (int i = 0; i < p.Length; i++) g[i] = nesterov ? g[i] + momentum * buf[i] : buf[i];
            }
            for (int i = 0; i < p.Length; i++) p[i] -= lr * g[i];
            trajectory[t] = (double[])p.Clone();
        }
        return trajectory;
    }

    private static double[][] AdamReference(double lr, double beta1, double beta2, double eps, double weight_decay = 0,
        bool amsgrad = false, bool maximize = false, int steps = 3)
    {
        var p = (double[])P0.Clone();
        int n = p.Length;
        double[] m = new double[n], v = new double[n], vmax = new double[n];
        var trajectory = new double[steps][];
        for (int t = 1; t <= steps; t++)
        {
            var g = Grad(p);
            double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
            for (int i = 0; i < n; i++)
            {
                if (maximize) g[i] = -g[i];
                g[i] += weight_decay * p[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                vmax[i] = Math.Max(vmax[i], v[i]);
                double denom = Math.Sqrt(amsgrad ? vmax[i] : v[i]) / Math.Sqrt(bc2) + eps;
                p[i] -= lr / bc1 * m[i] / denom;
            }
            trajectory[t - 1] = (double[])p.Clone();
        }
        return trajectory;
    }

    private static void AssertTrajectory(double[][] expected, double[][] actual, double tolerance = 1e-14)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int t = 0; t < expected.Length; t++)
        for (int i = 0; i < expected[t].Length; i++)
            Assert.True(Math.Abs(expected[t][i] - actual[t][i]) <= tolerance,
                $"step {t + 1}, element {i}: expected {expected[t][i]:R}, got {actual[t][i]:R}");
    }

    [Fact]
    public void SgdWithMomentumDampeningAndWeightDecayFollowsTheUpdateRule()
    {
        var expected = SgdReference(lr: 0.1, momentum: 0.9, dampening: 0.3, weight_decay: 0.05);
        AssertTrajectory(expected, Run(p => SGD(p, 0.1, momentum: 0.9, dampening: 0.3, weight_decay: 0.05), 3));
        // The momentum matters here: plain SGD goes elsewhere.
        Assert.True(Math.Abs(expected[2][0] - SgdReference(lr: 0.1, weight_decay: 0.05)[2][0]) > 1e-3);
    }

    [Fact]
    public void SgdWithNesterovAndWeightDecayFollowsTheUpdateRule()
    {
        var expected = SgdReference(lr: 0.05, momentum: 0.8, weight_decay: 0.1, nesterov: true);
        AssertTrajectory(expected, Run(p => SGD(p, 0.05, momentum: 0.8, weight_decay: 0.1, nesterov: true), 3));
        Assert.True(Math.Abs(expected[2][1] - SgdReference(lr: 0.05, momentum: 0.8, weight_decay: 0.1)[2][1]) > 1e-3);
    }

    [Fact]
    public void SgdMaximizeClimbs()
    {
        AssertTrajectory(SgdReference(lr: 0.2, maximize: true), Run(p => SGD(p, 0.2, maximize: true), 3));
    }

    [Fact]
    public void AdamWithWeightDecayFollowsTheUpdateRule()
    {
        var expected = AdamReference(lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.2);
        AssertTrajectory(expected, Run(p => Adam(p, 0.1, weight_decay: 0.2), 3));
    }

    [Fact]
    public void AdamWithAmsgradWeightDecayAndMaximizeFollowsTheUpdateRule()
    {
        // beta2 = 0.6 and shrinking gradients make the second moment fall, so its running maximum takes over.
        var expected = AdamReference(lr: 0.3, beta1: 0.8, beta2: 0.6, eps: 1e-3, weight_decay: 0.1, amsgrad: true);
        var withoutMax = AdamReference(lr: 0.3, beta1: 0.8, beta2: 0.6, eps: 1e-3, weight_decay: 0.1);
        Assert.True(expected[2].Zip(withoutMax[2]).Max(e => Math.Abs(e.First - e.Second)) > 1e-3);
        AssertTrajectory(expected, Run(p => Adam(p, 0.3, (0.8, 0.6), 1e-3, weight_decay: 0.1, amsgrad: true), 3));

        AssertTrajectory(AdamReference(lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, amsgrad: true, maximize: true),
            Run(p => Adam(p, 0.01, (0.9, 0.99), amsgrad: true, maximize: true), 3));
    }

    [Fact]
    public void ParametersWithoutGradientsAreLeftAloneAndCountTheirOwnSteps()
    {
        // q gets its first gradient at step 2: SGD makes its momentum buffer then, and Adam's bias correction for q
        // uses q's own step count (1 at step 2), as PyTorch's per-parameter state does.
        foreach (var (make, reference) in new (Func<Tensor[], Optimizer>, Func<int, double[][]>)[]
                 {
                     (ps => SGD(ps, 0.1, momentum: 0.9), steps => SgdReference(lr: 0.1, momentum: 0.9, steps: steps)),
                     (ps => Adam(ps, 0.1), steps => AdamReference(lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, steps: steps)),
                 })
        {
            using var p = torch.tensor(P0).requires_grad_();
            using var q = torch.tensor(P0).requires_grad_();
            using var optimizer = make([p, q]);
            for (int t = 0; t < 3; t++)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                (t == 0 ? Loss(p) : Loss(p) + Loss(q)).backward();
                optimizer.step();
                if (t == 0) Assert.Equal(P0, q.data<double>());
            }
            AssertTrajectory([reference(3)[2], reference(2)[1]], [p.data<double>(), q.data<double>()]);
        }
    }

    /// <summary>5 steps straight, or 3 steps, a checkpoint, a fresh optimizer loaded from it and 2 more steps.</summary>
    private static void AssertResumeIsBitExact(Func<Tensor[], Optimizer> make, string[] expectedKeys)
    {
        using var straight = torch.tensor(P0).requires_grad_();
        using (var optimizer = make([straight]))
            for (int t = 0; t < 5; t++) Step(optimizer, straight);

        using var scope = torch.NewDisposeScope();
        var checkpoint = new Dictionary<string, Tensor>();
        double[] atCheckpoint;
        using (var p = torch.tensor(P0).requires_grad_())
        using (var first = make([p]))
        {
            for (int t = 0; t < 3; t++) Step(first, p);
            foreach (var (name, t) in first.state_dict()) checkpoint[name] = t.clone();
            atCheckpoint = p.data<double>();
        }
        Assert.Equal(expectedKeys, checkpoint.Keys);

        using var resumed = torch.tensor(atCheckpoint).requires_grad_();
        using var second = make([resumed]);
        second.lr = 123;
        second.load_state_dict(checkpoint);
        for (int t = 0; t < 2; t++) Step(second, resumed);
        Assert.Equal(IoTestSupport.Bits(straight), IoTestSupport.Bits(resumed));

        static void Step(Optimizer optimizer, Tensor p)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            Loss(p).backward();
            optimizer.step();
        }
    }

    [Fact]
    public void SgdCheckpointResumesBitExactly() =>
        AssertResumeIsBitExact(p => SGD(p, 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true),
            ["lr", "state.0.momentum_buffer"]);

    [Fact]
    public void AdamCheckpointResumesBitExactly() =>
        AssertResumeIsBitExact(p => Adam(p, 0.05, weight_decay: 0.01, amsgrad: true),
            ["lr", "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq"]);

    [Fact]
    public void LoadStateDictNamesWhatDoesNotFitAndChangesNothing()
    {
        using var scope = torch.NewDisposeScope();
        using var p = torch.tensor(P0).requires_grad_();
        using var adam = Adam([p], 0.1);
        Loss(p).backward();
        adam.step();
        var state = adam.state_dict();
        Assert.Equal(1L, state["state.0.step"].item<long>());
        Assert.Equal(0.1, state["lr"].item<double>());

        using var amsgrad = Adam([p], 0.1, amsgrad: true);
        var e = Assert.Throws<TorchException>(() => amsgrad.load_state_dict(state));
        Assert.Contains("missing key: state.0.max_exp_avg_sq", e.Message);

        using var sgd = SGD([p], 0.1, momentum: 0.5);
        e = Assert.Throws<TorchException>(() => sgd.load_state_dict(state));
        Assert.Contains("unexpected key: state.0.exp_avg", e.Message);
        Assert.Contains("unexpected key: state.0.step", e.Message);

        using var small = torch.zeros([3], torch.float64, requires_grad: true);
        using var other = Adam([small], 0.5);
        e = Assert.Throws<TorchException>(() => other.load_state_dict(state));
        Assert.Contains("state.0.exp_avg: checkpoint has shape [4] but the parameter has [3]", e.Message);
        Assert.Equal(0.5, other.lr);
        Assert.Equal(new[] { "lr" }, other.state_dict().Keys);
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.ones([2], requires_grad: true);
        var e = Assert.Throws<ArgumentException>(() => SGD([p], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SGD([p], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Adam([p], betas: (0.9, 1.0)));
        e = Assert.Throws<ArgumentException>(() => SGD([p * 2], 0.1));
        Assert.Contains("not a leaf", e.Message);
    }
}
