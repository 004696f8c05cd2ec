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
}
