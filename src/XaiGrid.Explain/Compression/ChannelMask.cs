using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Compression;

/// <summary>
/// Zeroes the channels of one layer that are not kept: while this object lives, a forward hook multiplies the layer's
/// output (N, C, ...) by a 0/1 mask over its C channels. Disposing removes the hook and restores the model.
/// </summary>
public sealed class ChannelMask : IDisposable
{
    private readonly Tensor mask;
    private readonly Action removeHook;

    public ChannelMask(Classifier model, string layer, IReadOnlyList<bool> keep)
    {
        var module = model.Layer(layer);
        mask = torch.tensor(keep.Select(k => k ? 1f : 0f).ToArray()).DetachFromDisposeScope();
        var handle = module.register_forward_hook((_, _, output) =>
        {
            if (output.ndim < 2 || output.size(1) != keep.Count)
                throw new InvalidOperationException(
                    $"a mask over {keep.Count} channels does not fit layer '{layer}' of {model.Arch}, which outputs [{string.Join(", ", output.shape)}]");
            using var cast = mask.to(output.dtype, output.device);
            using var shaped = cast.view([1, keep.Count, .. Enumerable.Repeat(1L, (int)output.ndim - 2)]);
            return output * shaped;
        });
        removeHook = handle.remove;
    }

    public void Dispose()
    {
        removeHook();
        mask.Dispose();
    }
}
