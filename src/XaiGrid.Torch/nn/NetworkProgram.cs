using XaiGrid.Torch.Modules;
using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

/// <summary>
/// One step of a network whose forward pass is a straight line: a named module (the name is the layer name that
/// hooks and explanation methods use), or a parameterless function between modules. A module that computes one of
/// the functions (a global mean pooling module, say) carries its operation, so that a program knows what it is.
/// </summary>
public sealed record ProgramStep(string? Layer, torch.nn.Module? Module, ProgramStep.Operation Op)
{
    public enum Operation { Module, Relu, Flatten, GlobalMean }

    public static ProgramStep Of(string layer, torch.nn.Module module) => new(layer, module, Operation.Module);

    public static readonly ProgramStep Relu = new(null, null, Operation.Relu);

    public static readonly ProgramStep Flatten = new(null, null, Operation.Flatten);

    /// <summary>The mean over every position (global average pooling): (N, C, ...) to (N, C).</summary>
    public static readonly ProgramStep GlobalMean = new(null, null, Operation.GlobalMean);

    /// <summary>The step through the modules (their hooks run), as the network's forward does.</summary>
    public Tensor Apply(Tensor h) => Module is { } module ? module.call(h) : Op switch
    {
        Operation.Relu => h.relu(),
        Operation.Flatten => h.flatten(1),
        _ => h.mean(Enumerable.Range(2, (int)h.ndim - 2).Select(d => (long)d).ToArray()),
    };

    /// <summary>Runs <paramref name="steps"/> on <paramref name="input"/>; the result is owned by the caller.</summary>
    public static Tensor Run(IReadOnlyList<ProgramStep> steps, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var h = input;
        foreach (var step in steps) h = step.Apply(h);
        return scope.MoveToOuter(ReferenceEquals(h, input) ? h.alias() : h);
    }
}

/// <summary>
/// A straight-line network compiled for oneDNN, run in one native call per batch: the forward pass, and the backward
/// pass of a given dQ/dlogits down to the input or to any layer's output, without autograd and without a graph.
/// PyTorch's convolutions rebuild their oneDNN primitives and reorder weights and activations on every call; this
/// builds them once per input shape, so small networks (MNIST-1D) explain several times faster. The parameters are
/// read from the modules on every run (an in-place change is seen through the tensor's version). Supported: Conv1d,
/// Conv2d (no groups or dilation), ReLU, MaxPool1d/2d (no dilation or ceil mode), Linear, Flatten right before a
/// Linear, global mean, and Dropout (the identity: programs run in eval mode).
/// </summary>
public sealed unsafe class NetworkProgram : IDisposable
{
    // Kept equal to Kind in native/program.cpp.
    private enum Kind { Conv = 0, Relu = 1, MaxPool = 2, GlobalMean = 3, Flatten = 4, Linear = 5 }

    private readonly IntPtr program;
    private readonly Func<Tensor?>[] weightOf, biasOf;
    private readonly Dictionary<string, int> outputOf;
    private bool disposed;

    private NetworkProgram(IntPtr program, List<(Func<Tensor?> weight, Func<Tensor?> bias)> parameters, Dictionary<string, int> outputOf)
    {
        this.program = program;
        weightOf = parameters.Select(p => p.weight).ToArray();
        biasOf = parameters.Select(p => p.bias).ToArray();
        this.outputOf = outputOf;
    }

    /// <summary>
    /// The program of <paramref name="steps"/> for inputs of <paramref name="inputDims"/> dimensions (3: N, C, L; 4:
    /// N, C, H, W), or null when a step is not supported (the caller then runs the modules).
    /// </summary>
    public static NetworkProgram? TryCompile(IReadOnlyList<ProgramStep> steps, int inputDims)
    {
        if (inputDims is not (3 or 4)) return null;
        bool oneD = inputDims == 3;
        var kinds = new List<int>();
        var parameters = new List<long>();
        var tensors = new List<(Func<Tensor?>, Func<Tensor?>)>();
        var outputOf = new Dictionary<string, int>();

        // Kernel, stride and padding, height first: a 1-D step runs as 2-D with a unit height.
        long[] Pair(long[] values, long unit) => oneD ? [unit, values[0]] : values;

        void Add(Kind kind, long[]? kernel = null, long[]? stride = null, long[]? padding = null,
            Func<Tensor?>? weight = null, Func<Tensor?>? bias = null)
        {
            kinds.Add((int)kind);
            parameters.AddRange(kernel is null ? [0, 0, 0, 0, 0, 0] : [.. Pair(kernel, 1), .. Pair(stride!, 1), .. Pair(padding!, 0)]);
            tensors.Add((weight ?? (() => null), bias ?? (() => null)));
        }

        foreach (var step in steps)
        {
            switch (step.Op, step.Module)
            {
                case (ProgramStep.Operation.Relu, _) or (_, ReLU):
                    Add(Kind.Relu);
                    break;
                case (ProgramStep.Operation.Flatten, _) or (_, Modules.Flatten):
                    Add(Kind.Flatten);
                    break;
                case (ProgramStep.Operation.GlobalMean, _):
                    Add(Kind.GlobalMean);
                    break;
                case (_, Dropout):
                    break;
                case (_, Convolution c) when c.groups == 1 && c.dilation.All(d => d == 1) && c.padding_mode == torch.nn.PaddingModes.Explicit
                                             && c.kernel_size.Length == inputDims - 2:
                    Add(Kind.Conv, c.kernel_size, c.stride, c.padding, () => c.weight, () => c.bias);
                    break;
                case (_, MaxPool1d p) when oneD && p.dilation == 1 && !p.ceil_mode:
                    Add(Kind.MaxPool, [p.kernel_size], [p.stride], [p.padding]);
                    break;
                case (_, MaxPool2d p) when !oneD && p.dilation == 1 && !p.ceil_mode:
                    Add(Kind.MaxPool, [p.kernel_size, p.kernel_size], [p.stride, p.stride], [p.padding, p.padding]);
                    break;
                case (_, Linear l):
                    Add(Kind.Linear, weight: () => l.weight, bias: () => l.bias);
                    break;
                default:
                    return null;
            }
            // A layer's output is the last native step's at that point (a dropout has its predecessor's).
            if (step.Layer is not null) outputOf[step.Layer] = kinds.Count - 1;
        }
        if (kinds.Count == 0 || kinds[^1] != (int)Kind.Linear) return null;
        for (int i = 0; i < kinds.Count; i++)
            if (kinds[i] == (int)Kind.Flatten && (i + 1 == kinds.Count || kinds[i + 1] != (int)Kind.Linear)) return null;
        var k = kinds.ToArray();
        var ps = parameters.ToArray();
        fixed (int* kp = k)
        fixed (long* pp = ps)
        {
            return new NetworkProgram(Check(xg_program_new(k.Length, kp, pp, oneD ? 1 : 0)), tensors, outputOf);
        }
    }

    /// <summary>Whether <paramref name="layer"/> is a step whose output the program can return.</summary>
    public bool HasLayer(string layer) => outputOf.TryGetValue(layer, out int i) && i >= 0;

    /// <summary>The logits (N, K) of a float32 batch.</summary>
    public Tensor Forward(Tensor x) => Run(x, null, -1).logits;

    /// <summary>
    /// The logits, and dQ/dx for Q = sum over rows r and classes k of seed[r, k] S_k(x_r), seed float32 (N, K); with
    /// <paramref name="layer"/>, the layer's output z and dQ/dz instead (the backward pass stops there).
    /// </summary>
    public (Tensor logits, Tensor? activation, Tensor gradient) Backward(Tensor x, Tensor seed, string? layer = null)
    {
        int at = -1;
        if (layer is not null && !(outputOf.TryGetValue(layer, out at) && at >= 0))
            throw new ArgumentException($"the program has no step for layer '{layer}'; it has {string.Join(", ", outputOf.Keys)}");
        var (logits, activation, gradient) = Run(x, seed, at);
        return (logits, activation, gradient!);
    }

    private (Tensor logits, Tensor? activation, Tensor? gradient) Run(Tensor x, Tensor? seed, int at)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int n = weightOf.Length;
        var weights = new Tensor?[n];
        var biases = new Tensor?[n];
        var w = new IntPtr[n];
        var b = new IntPtr[n];
        for (int i = 0; i < n; i++)
        {
            weights[i] = weightOf[i]();
            biases[i] = biasOf[i]();
            w[i] = weights[i]?.RawHandle ?? IntPtr.Zero;
            b[i] = biases[i]?.RawHandle ?? IntPtr.Zero;
        }
        IntPtr logits, activation, gradient;
        fixed (IntPtr* wp = w)
        fixed (IntPtr* bp = b)
        {
            Check(xg_program_run(program, x.Handle, n, wp, bp, seed?.RawHandle ?? IntPtr.Zero, at, &logits, &activation, &gradient));
        }
        GC.KeepAlive(x);
        GC.KeepAlive(seed);
        GC.KeepAlive(weights);
        GC.KeepAlive(biases);
        return (new Tensor(logits), activation == IntPtr.Zero ? null : new Tensor(activation),
            gradient == IntPtr.Zero ? null : new Tensor(gradient));
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        xg_program_free(program);
    }
}
