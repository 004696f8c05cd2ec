using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using XaiGrid.Models.Programs;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// A classification network: a module mapping a batch of inputs (N, C, L) or (N, C, H, W) to logits (N, K),
/// with the facts XaiGrid needs about it. Its submodule names (state-dict prefixes such as <c>conv3</c> or
/// <c>features.7</c>) are the layer names that Grad-CAM, influence and compression refer to.
/// </summary>
public abstract class Classifier : nn.Module<Tensor, Tensor>
{
    protected Classifier(string arch, long[] inputShape, int numClasses) : base(arch)
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
        Descendants(this, "").Where(m => m.module is not Sequential).Select(m => m.name.TrimEnd('.')).ToList();

    // Depth first, as PyTorch's named_modules() lists them; TorchSharp's lists all children before any grandchild.
    // Names end with '.', ready for a parameter's name to follow.
    private static IEnumerable<(string name, nn.Module module)> Descendants(nn.Module module, string prefix) =>
        module.named_children().SelectMany(c => Descendants(c.module, prefix + c.name + ".").Prepend((prefix + c.name + ".", c.module)));

    /// <summary>
    /// The state dict in PyTorch's order: module by module depth first, each one's parameters before its persistent
    /// buffers (TorchSharp's own lists every parameter before any buffer). The tensors are the model's own.
    /// </summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        destination ??= new Dictionary<string, Tensor>();
        string Key(string name) => string.IsNullOrEmpty(prefix) ? name : $"{prefix}.{name}";
        foreach (var (path, module) in Descendants(this, "").Prepend(("", this)))
        {
            foreach (var (name, p) in module.named_parameters(recurse: false)) destination.TryAdd(Key(path + name), p);
            foreach (var (name, b) in module.named_buffers(recurse: false, include_nonpersistent: false)) destination.TryAdd(Key(path + name), b);
        }
        return destination;
    }

    /// <summary>The layer called <paramref name="name"/>, or an error listing the layers there are.</summary>
    public nn.Module<Tensor, Tensor> Layer(string name)
    {
        var found = named_modules().FirstOrDefault(m => m.name == name && name.Length > 0).module as nn.Module<Tensor, Tensor>;
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
    /// The network as a straight line of steps, when it is one (null otherwise). Architectures that give it run it as
    /// their forward (<see cref="ProgramStep.Run"/>, or a forward that computes the same), and explanation passes
    /// (<see cref="Logits"/>, <see cref="Backward"/>) run it as a oneDNN <see cref="NetworkProgram"/>.
    /// </summary>
    protected virtual IReadOnlyList<ProgramStep>? Steps => null;

    /// <summary>Whether explanation passes may run the oneDNN program (tests and benchmarks turn it off to compare).</summary>
    public bool UseProgram { get; set; } = true;

    private readonly Lock programLock = new();
    private NetworkProgram? program;
    private nn.Module[] hookable = [];
    private bool compiled;

    /// <summary>
    /// The oneDNN program, when it computes exactly what the modules would: the network is a straight line of steps
    /// the program supports (1-D or 2-D), it runs in eval mode on float32 CPU input, and no forward hook (a channel
    /// mask, say) is registered on the network or any module in it (containers included).
    /// </summary>
    private NetworkProgram? ProgramFor(Tensor x)
    {
        if (!UseProgram || training || x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU || x.ndim != InputShape.Length + 1) return null;
        var steps = Steps;
        if (steps is null) return null;
        lock (programLock)
        {
            if (!compiled)
            {
                program = NetworkProgram.TryCompile(steps, InputShape.Length + 1);
                hookable = [this, .. modules()];
                compiled = true;
            }
        }
        if (program is null) return null;
        foreach (var module in hookable)
            if (module is nn.Module<Tensor, Tensor> m && ModuleHooks.Any(m)) return null;
        return program;
    }

    /// <summary>Whether <see cref="Logits"/> and <see cref="Backward"/> run <paramref name="x"/> as the oneDNN program.</summary>
    public bool RunsAsProgram(Tensor x) => ProgramFor(x) is not null;

    /// <summary>The logits of a batch, without gradients.</summary>
    public Tensor Logits(Tensor x)
    {
        if (ProgramFor(x)?.TryForward(x) is { } logits) return logits;
        using var noGrad = torch.no_grad();
        if (x.dim() != 4) return call(x);
        using var nhwc = ChannelsLast(x);
        return call(nhwc);
    }

    /// <summary>
    /// An image batch with channels-last strides (same NCHW shape): libtorch's oneDNN convolutions keep that layout
    /// through the network, and vgg7's explanation passes ran 1.4x to 1.8x faster than in NCHW at 1 thread (gradient 74.7
    /// -> 47.1 ms per tile). Maps agree to float rounding, except where max pooling breaks a tie the other way.
    /// </summary>
    private static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>
    /// The logits, and dQ/dx for Q = sum over rows r and classes k of seed[r, k] S_k(x_r) (seed (N, K)); with
    /// <paramref name="layer"/>, the layer's output z and dQ/dz instead. Rows are independent. Nothing requires grad.
    /// </summary>
    public (Tensor logits, Tensor? activation, Tensor gradient) Backward(Tensor x, Tensor seed, string? layer = null)
    {
        if (seed.ndim != 2 || seed.size(0) != x.size(0) || seed.size(1) != NumClasses)
            throw new ArgumentException($"dQ/dlogits must be ({x.size(0)}, {NumClasses}), got [{string.Join(", ", seed.shape)}]");
        if (ProgramFor(x) is { } p && (layer is null || p.HasLayer(layer)) && p.TryBackward(x, seed, layer, out var result))
            return result;
        return BackwardThroughModules(x, seed, layer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (programLock)
            {
                program?.Dispose();
                program = null;
            }
        }
        base.Dispose(disposing);
    }

    private (Tensor logits, Tensor? activation, Tensor gradient) BackwardThroughModules(Tensor x, Tensor seed, string? layer)
    {
        using var grad = torch.enable_grad();
        using var scope = torch.NewDisposeScope();
        var input = x.detach().requires_grad_();
        Tensor? captured = null;
        int calls = 0;
        // The layer's output is replaced by a leaf, so the backward pass stops there.
        var handle = layer is null ? null : Layer(layer).register_forward_hook((_, _, output) =>
        {
            if (calls++ > 0) return null;
            var z = output.detach().requires_grad_();
            // z lives in the dispose scope around the layer's forward call (if any): keep a handle of our own.
            captured = z.alias().DetachFromDisposeScope();
            return z;
        });
        try
        {
            var logits = call(input.dim() == 4 ? ChannelsLast(input) : input);
            if (layer is not null && calls != 1)
                throw new InvalidOperationException($"layer '{layer}' of {Arch} ran {calls} times in one forward pass; it must run exactly once");
            var q = (logits * seed.to(logits.dtype)).sum();
            var gradient = torch.autograd.grad([q], [captured ?? input])[0]!.contiguous();
            return (scope.MoveToOuter(logits.detach()), captured is null ? null : scope.MoveToOuter(captured.detach()), scope.MoveToOuter(gradient));
        }
        finally
        {
            handle?.remove();
            captured?.Dispose();
        }
    }
}
