using XaiGrid.Torch;
using XaiGrid.Torch.Modules;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// A classification network: a module mapping a batch of inputs (N, C, L) or (N, C, H, W) to logits (N, K),
/// with the facts XaiGrid needs about it. Its submodule names (state-dict prefixes such as <c>conv3</c> or
/// <c>features.7</c>) are the layer names that Grad-CAM, influence and compression refer to.
/// </summary>
public abstract class Classifier : torch.nn.Module
{
    protected Classifier(string arch, long[] inputShape, int numClasses)
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        Arch = arch;
        InputShape = inputShape;
        NumClasses = numClasses;
    }

    public string Arch { get; }

    /// <summary>The shape of one input without the batch axis.</summary>
    public long[] InputShape { get; }

    public int NumClasses { get; }

    /// <summary>Every named layer (leaf modules, not containers), in registration order.</summary>
    public IReadOnlyList<string> LayerNames =>
        named_modules().Where(m => m.name.Length > 0 && m.module is not Sequential).Select(m => m.name).ToList();

    /// <summary>The layer called <paramref name="name"/>, or an error listing the layers there are.</summary>
    public torch.nn.Module Layer(string name)
    {
        var found = named_modules().FirstOrDefault(m => m.name == name && name.Length > 0).module;
        return found ?? throw new ArgumentException(
            $"{Arch} has no layer '{name}'; its layers are: {string.Join(", ", LayerNames)}");
    }

    /// <summary>Checks that a batch fits this network, naming the expected and actual shapes.</summary>
    public void CheckInput(Tensor batch)
    {
        var shape = batch.shape;
        if (shape.Length != InputShape.Length + 1 || !shape[1..].SequenceEqual(InputShape) && !AcceptsSize(shape[1..]))
            throw new ArgumentException(
                $"{Arch} takes inputs (N, {string.Join(", ", InputShape)}), got [{string.Join(", ", shape)}]");
    }

    /// <summary>Whether a per-item shape other than <see cref="InputShape"/> works (e.g. any image size after global pooling).</summary>
    protected virtual bool AcceptsSize(long[] itemShape) => false;

    /// <summary>
    /// The forward pass as a straight line of steps, for networks that are one (null for the others, which override
    /// <see cref="forward"/>). The modules run them as forward; explanation passes (<see cref="Logits"/>,
    /// <see cref="Backward"/>) run them as one native oneDNN program.
    /// </summary>
    protected virtual IReadOnlyList<ProgramStep>? Steps => null;

    public override Tensor forward(Tensor input) =>
        ProgramStep.Run(Steps ?? throw new InvalidOperationException($"{Arch} defines neither its steps nor forward"), input);

    /// <summary>Whether explanation passes may run the native program (tests turn it off to compare it with the modules).</summary>
    public bool UseProgram { get; set; } = true;

    private readonly Lock programLock = new();
    private NetworkProgram? program;
    private bool compiled;

    /// <summary>
    /// The native program, when it computes exactly what the modules would: the network has steps the program
    /// supports, runs in eval mode on float32 CPU input, and no forward hook (a channel mask, say) changes a layer.
    /// </summary>
    private NetworkProgram? ProgramFor(Tensor x)
    {
        if (!UseProgram || training || Steps is null || x.dtype != ScalarType.Float32 || x.device.type != DeviceType.CPU) return null;
        if (named_modules().Any(m => m.module.has_forward_hooks)) return null;
        lock (programLock)
        {
            if (!compiled)
            {
                program = NetworkProgram.TryCompile(Steps, InputShape.Length + 1);
                compiled = true;
            }
            return program;
        }
    }

    /// <summary>Whether <see cref="Logits"/> and <see cref="Backward"/> run <paramref name="x"/> as the native program.</summary>
    public bool RunsAsProgram(Tensor x) => ProgramFor(x) is not null;

    /// <summary>The logits of a batch, without gradients.</summary>
    public Tensor Logits(Tensor x)
    {
        if (ProgramFor(x) is { } p) return p.Forward(x);
        using var noGrad = torch.no_grad();
        return call(x);
    }

    /// <summary>
    /// The logits, and dQ/dx for Q = sum over rows r and classes k of seed[r, k] S_k(x_r) (seed (N, K)); with
    /// <paramref name="layer"/>, the layer's output z and dQ/dz instead. Rows are independent. Nothing requires grad.
    /// </summary>
    public (Tensor logits, Tensor? activation, Tensor gradient) Backward(Tensor x, Tensor seed, string? layer = null)
    {
        if (seed.ndim != 2 || seed.size(0) != x.size(0) || seed.size(1) != NumClasses)
            throw new ArgumentException($"dQ/dlogits must be ({x.size(0)}, {NumClasses}), got [{string.Join(", ", seed.shape)}]");
        if (ProgramFor(x) is { } p && (layer is null || p.HasLayer(layer)))
        {
            using var seed32 = seed.to(ScalarType.Float32);
            return p.Backward(x, seed32, layer);
        }
        return BackwardThroughModules(x, seed, layer);
    }

    private (Tensor logits, Tensor? activation, Tensor gradient) BackwardThroughModules(Tensor x, Tensor seed, string? layer)
    {
        using var grad = torch.enable_grad();
        using var scope = torch.NewDisposeScope();
        var input = x.detach().requires_grad_();
        Tensor? captured = null;
        int calls = 0;
        // The layer's output is replaced by a leaf, so the backward pass stops there.
        using var handle = layer is null ? null : Layer(layer).register_forward_hook((_, _, output) =>
        {
            if (calls++ > 0) return null;
            var z = output.detach().requires_grad_();
            // The hook's output belongs to the call (see register_forward_hook): keep a handle of our own.
            captured = z.alias().DetachFromDisposeScope();
            return z;
        });
        try
        {
            var logits = call(input);
            if (layer is not null && calls != 1)
                throw new InvalidOperationException($"layer '{layer}' of {Arch} ran {calls} times in one forward pass; it must run exactly once");
            var q = (logits * seed.to(logits.dtype)).sum();
            var gradient = torch.autograd.grad([q], [captured ?? input])[0]!;
            return (scope.MoveToOuter(logits.detach()), captured is null ? null : scope.MoveToOuter(captured.detach()), scope.MoveToOuter(gradient));
        }
        finally
        {
            captured?.Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) program?.Dispose();
        base.Dispose(disposing);
    }
}
