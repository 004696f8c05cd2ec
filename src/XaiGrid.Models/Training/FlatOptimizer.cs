using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XaiGrid.Models.Training;

/// <summary>
/// torch.optim's Adam and SGD (PyTorch 1.13's single-tensor update rules) applied to all parameters at once. A training
/// step of a small network is bound by per-op overhead: the per-parameter update is 6 to 9 ops per parameter, and
/// TorchSharp's managed port of it also converts every hyperparameter into a native Scalar per op (about 230 µs per
/// mnist1d-cnn step, 8 parameters). Here the parameters are views into one flat buffer and their gradients into
/// another, so the same ops run once over all of them. An element-wise op computes each element the same way wherever
/// it sits in a tensor, so every parameter ends bit for bit where PyTorch's per-parameter update puts it
/// (FlatOptimizerTests compare with python3-torch's optimizers, and training with per-parameter updates).
/// </summary>
/// <remarks>
/// Every parameter must take part in every step, as in a classifier whose forward runs all of its layers: a parameter
/// that got no gradient counts a zero gradient here (gradients are zeroed in place, as PyTorch 1.13's
/// <c>zero_grad()</c> does), where PyTorch skips a parameter until its first gradient. The parameters keep their
/// identity (autograd, hooks and state dicts see the same tensors); only their storage moves into the flat buffer, and
/// stays there after the optimizer is disposed.
/// </remarks>
public abstract class FlatOptimizer : optim.Optimizer
{
    private sealed class Group(double lr) : optim.ILearningRateController
    {
        public double LearningRate { get; set; } = lr;

        public double InitialLearningRate { get; set; } = lr;
    }

    private readonly Group group;

    /// <summary>All parameters, concatenated in the order given; each parameter is a view into it.</summary>
    protected readonly Tensor Parameters;

    /// <summary>All gradients, laid out as <see cref="Parameters"/>; each parameter's <c>grad</c> is a view into it.</summary>
    protected readonly Tensor Gradients;

    /// <summary>Steps taken so far.</summary>
    public long Step { get; private set; }

    protected FlatOptimizer(IEnumerable<Parameter> parameters, double lr) : base(IntPtr.Zero)
    {
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("no parameters to optimize", nameof(parameters));
        var first = list[0];
        if (list.Any(p => !p.requires_grad || p.dtype != first.dtype || p.device_type != first.device_type || p.device_index != first.device_index))
            throw new ArgumentException("the parameters must all require gradients and share one dtype and device", nameof(parameters));
        group = new Group(lr);
        long total = list.Sum(p => p.numel());
        Parameters = torch.empty(total, dtype: first.dtype, device: first.device);
        Gradients = torch.zeros(total, dtype: first.dtype, device: first.device);
        using var noGrad = torch.no_grad();
        long offset = 0;
        foreach (var p in list)
        {
            long n = p.numel();
            using var value = Parameters.narrow(0, offset, n).view(p.shape);
            value.copy_(p);
            p.set_(value);
            using var grad = Gradients.narrow(0, offset, n).view(p.shape);
            p.grad = grad;
            offset += n;
        }
    }

    public override IEnumerable<optim.ILearningRateController> ParamGroups => [group];

    public double LearningRate => group.LearningRate;

    /// <summary>Zeroes the gradients in place (PyTorch 1.13's default; backward then accumulates into the flat buffer).</summary>
    public override void zero_grad() => Gradients.zero_();

    /// <summary>One update of every parameter from its gradient.</summary>
    public override Tensor? step(Func<Tensor>? closure = null)
    {
        if (closure is not null) throw new NotSupportedException("a flat optimizer takes no closure");
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Step++;
        Update(group.LearningRate);
        return null;
    }

    /// <summary>The update rule: reads <see cref="Gradients"/>, updates <see cref="Parameters"/> in place.</summary>
    protected abstract void Update(double lr);

    /// <summary>The state a resumed run needs (step count and buffers), as copies the caller owns.</summary>
    public Dictionary<string, Tensor> StateTensors()
    {
        var state = new Dictionary<string, Tensor> { ["step"] = torch.tensor(Step) };
        foreach (var (name, buffer) in Buffers())
            if (buffer is not null) state[name] = buffer.clone();
        return state;
    }

    /// <summary>Restores what <see cref="StateTensors"/> gave; errors name <paramref name="source"/>.</summary>
    public void LoadStateTensors(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        if (!state.TryGetValue("step", out var step) || step.numel() != 1 || step.dtype != ScalarType.Int64)
            throw new InvalidDataException($"{source}: no optimizer step count");
        foreach (var (name, _) in Buffers().ToList())
        {
            var saved = state.GetValueOrDefault(name);
            if (saved is not null && !saved.shape.SequenceEqual(Parameters.shape))
                throw new InvalidDataException($"{source}: optimizer {name} has shape [{string.Join(", ", saved.shape)}], expected [{Parameters.numel()}]");
            SetBuffer(name, saved);
        }
        Step = step.item<long>();
    }

    /// <summary>The optimizer's buffers by name (null: not created yet), laid out as <see cref="Parameters"/>.</summary>
    protected abstract IEnumerable<(string name, Tensor? buffer)> Buffers();

    /// <summary>Sets buffer <paramref name="name"/> to a copy of <paramref name="values"/> (null: not created yet).</summary>
    protected abstract void SetBuffer(string name, Tensor? values);

    /// <summary>A buffer holding a copy of <paramref name="values"/> on the parameters' device and dtype.</summary>
    protected Tensor Copy(Tensor values) => values.to(Parameters.dtype, Parameters.device, copy: true).DetachFromDisposeScope();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Parameters.Dispose();
            Gradients.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>torch.optim.Adam (not AdamW: weight decay is added to the gradient), without amsgrad and maximize.</summary>
public sealed class FlatAdam : FlatOptimizer
{
    private readonly double beta1, beta2;
    private readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, eps, weightDecay;
    private readonly bool decays;
    private Tensor expAvg, expAvgSq;

    public FlatAdam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0) : base(parameters, lr)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        // Native Scalars made once: TorchSharp converts a double argument into a new one on every call.
        beta1Scalar = beta1.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        this.eps = eps.ToScalar();
        this.weightDecay = weightDecay.ToScalar();
        decays = weightDecay != 0;
        expAvg = torch.zeros_like(Parameters);
        expAvgSq = torch.zeros_like(Parameters);
    }

    protected override void Update(double lr)
    {
        var grad = Gradients;
        double biasCorrection1 = 1 - Math.Pow(beta1, Step);
        double biasCorrection2 = 1 - Math.Pow(beta2, Step);
        if (decays) grad = grad.add(Parameters, alpha: weightDecay);
        expAvg.mul_(beta1Scalar).add_(grad, alpha: oneMinusBeta1);
        expAvgSq.mul_(beta2Scalar).addcmul_(grad, grad, value: oneMinusBeta2);
        using var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps), with the square root correctly rounded, as
        // python3-torch takes it: libtorch 2.10's float32 sqrt (MKL's vsSqrt) is an ulp off for about one float in six,
        // float64's rounded to float32 is exact (checked on every float in [1, 4), on denormals and on 2 million others).
        var sqrt = expAvgSq.to(ScalarType.Float64).sqrt().to(expAvgSq.dtype);
        var denom = sqrt.div(biasCorrection2Sqrt).add_(eps);
        using var stepSize = (-(lr / biasCorrection1)).ToScalar();
        Parameters.addcdiv_(expAvg, denom, value: stepSize);
    }

    protected override IEnumerable<(string name, Tensor? buffer)> Buffers() => [("exp_avg", expAvg), ("exp_avg_sq", expAvgSq)];

    protected override void SetBuffer(string name, Tensor? values)
    {
        if (values is null) throw new InvalidDataException($"no Adam {name} to resume from");
        if (name == "exp_avg") Replace(ref expAvg, Copy(values));
        else Replace(ref expAvgSq, Copy(values));
    }

    private static void Replace(ref Tensor buffer, Tensor values)
    {
        buffer.Dispose();
        buffer = values;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            expAvg.Dispose();
            expAvgSq.Dispose();
            foreach (var s in new[] { beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, eps, weightDecay }) s.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>torch.optim.SGD with momentum (dampening 0), Nesterov momentum and weight decay, without maximize.</summary>
public sealed class FlatSgd : FlatOptimizer
{
    private readonly Scalar momentum, weightDecay;
    private readonly bool hasMomentum, decays, nesterov;
    private Tensor? momentumBuffer;

    public FlatSgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr)
    {
        if (nesterov && momentum <= 0) throw new ArgumentException("Nesterov momentum requires a momentum");
        this.momentum = momentum.ToScalar();
        this.weightDecay = weightDecay.ToScalar();
        hasMomentum = momentum != 0;
        decays = weightDecay != 0;
        this.nesterov = nesterov;
    }

    protected override void Update(double lr)
    {
        var dP = Gradients;
        if (decays) dP = dP.add(Parameters, alpha: weightDecay);
        if (hasMomentum)
        {
            if (momentumBuffer is null) momentumBuffer = dP.clone().detach().DetachFromDisposeScope();
            else momentumBuffer.mul_(momentum).add_(dP);  // alpha 1 - dampening, dampening 0
            dP = nesterov ? dP.add(momentumBuffer, alpha: momentum) : momentumBuffer;
        }
        using var minusLr = (-lr).ToScalar();
        Parameters.add_(dP, alpha: minusLr);
    }

    protected override IEnumerable<(string name, Tensor? buffer)> Buffers() => [("momentum_buffer", momentumBuffer)];

    protected override void SetBuffer(string name, Tensor? values)
    {
        momentumBuffer?.Dispose();
        momentumBuffer = values is null ? null : Copy(values);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            momentumBuffer?.Dispose();
            momentum.Dispose();
            weightDecay.Dispose();
        }
        base.Dispose(disposing);
    }
}
