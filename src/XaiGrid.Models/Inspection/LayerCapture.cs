using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Inspection;

/// <summary>
/// Keeps the output of one named layer of a classifier from each forward, through a forward hook that lives as long
/// as this object. The kept output shares the autograd graph, so an objective computed from it can be differentiated.
/// </summary>
internal sealed class LayerCapture : IDisposable
{
    private readonly string layer;
    // TorchSharp's HookRemover is a nested type of the generic HookableModule; its remove() is all we keep.
    private readonly Action removeHook;
    private Tensor? output;
    private int calls;

    public LayerCapture(Classifier model, string layer)
    {
        this.layer = layer;
        removeHook = model.Layer(layer).register_forward_hook((_, _, result) =>
        {
            calls++;
            output?.Dispose();
            // The call's output may be disposed by the module that consumes it or by a scope inside the model.
            output = result.alias().DetachFromDisposeScope();
            return null;
        }).remove;
    }

    /// <summary>The output of the forward that just ran; the caller owns it. The layer must have run exactly once.</summary>
    public Tensor Take()
    {
        if (calls != 1 || output is null)
            throw new InvalidOperationException(
                $"layer '{layer}' ran {calls} times in one forward; capturing it needs a layer that runs exactly once");
        var taken = output;
        output = null;
        calls = 0;
        return taken;
    }

    public void Dispose()
    {
        removeHook();
        output?.Dispose();
        output = null;
    }
}
