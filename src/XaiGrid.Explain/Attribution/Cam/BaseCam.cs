using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Explain.Attribution.Cam;

/// <summary>
/// What the class activation map methods share (as pytorch-grad-cam's BaseCAM): one forward pass with a hook on
/// layer l that captures its output A (N, K, ...), the gradient dS_c/dA, channel weights w_k from those (the only
/// thing the variants change), and map = ReLU(sum_k w_k A_k) upsampled to the input size (linear in 1-D, bilinear
/// in 2-D, align_corners = false, as torch.nn.functional.interpolate). Maps are (N, 1, L) or (N, 1, H, W), float32.
/// A layer name means that module's output (for <c>conv3</c>, before the ReLU that follows it).
/// </summary>
public abstract class BaseCam : AttributionMethod
{
    protected BaseCam(Classifier model, string layer) : base(model)
    {
        // Fails now, listing the layers there are, rather than at the first map.
        model.Layer(layer);
        Layer = layer;
    }

    /// <summary>The name of the layer whose output is weighted, e.g. <c>features.7</c> or <c>conv3</c>.</summary>
    public string Layer { get; }

    /// <summary>
    /// The weight of every channel, (N, K), from the layer's activations A and gradients dS_c/dA, both float64
    /// (N, K, ...positions).
    /// </summary>
    protected abstract Tensor ChannelWeights(Tensor activations, Tensor gradients);

    /// <summary>The axes of the positions of a (N, K, ...) tensor.</summary>
    protected static long[] PositionAxes(Tensor t) => Enumerable.Range(2, (int)t.ndim - 2).Select(a => (long)a).ToArray();

    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        var (activations, gradients) = ActivationsAndGradients(inputs, targets);
        var a = activations.to(ScalarType.Float64);
        var g = gradients.to(ScalarType.Float64);
        var weights = ChannelWeights(a, g);
        long[] channelShape = [.. weights.shape, .. Enumerable.Repeat(1L, (int)a.ndim - 2)];
        var cam = (weights.view(channelShape) * a).sum(1, keepdim: true).relu();
        var mode = inputs.ndim == 3 ? torch.InterpolationMode.Linear : torch.InterpolationMode.Bilinear;
        var map = F.interpolate(cam, inputs.shape[2..], mode: mode, align_corners: false);
        return scope.MoveToOuter(map.to(ScalarType.Float32));
    }

    /// <summary>The layer's output for <paramref name="inputs"/> and dS_c/d(that output), each row with its own target.</summary>
    private (Tensor activations, Tensor gradients) ActivationsAndGradients(Tensor inputs, long[] targets)
    {
        using var scope = torch.NewDisposeScope();
        var (_, activations, gradients) = Model.Backward(inputs, OneHot(targets, Model.NumClasses), Layer);
        if (activations!.ndim != inputs.ndim)
            throw new ArgumentException(
                $"layer '{Layer}' of {Model.Arch} outputs [{string.Join(", ", activations.shape)}]; a CAM of inputs " +
                $"[{string.Join(", ", inputs.shape)}] needs a layer output (N, K, {(inputs.ndim == 3 ? "L" : "H, W")}) with positions like the input's");
        return scope.MoveToOuter(activations, gradients);
    }
}
