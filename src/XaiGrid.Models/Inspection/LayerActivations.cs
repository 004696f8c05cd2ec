using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Inspection;

/// <summary>
/// What one layer of a classifier outputs for one input, channel by channel. A layer name means that module's output
/// (for <c>features.0</c> the convolution before its ReLU; <c>features.1</c> after it). The model runs in its
/// current mode: call eval() first so that dropout and batch norm behave as at inference.
/// </summary>
public static class LayerActivations
{
    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/> (one input, no batch axis) and returns the output of
    /// <paramref name="layer"/> for it without the batch axis: (C, H, W), (C, L) or (K).
    /// </summary>
    public static Tensor Capture(Classifier model, Tensor input, string layer)
    {
        if (input.dim() != model.InputShape.Length)
            throw new ArgumentException(
                $"{model.Arch} takes one input of shape ({string.Join(", ", model.InputShape)}) without a batch axis, got [{string.Join(", ", input.shape)}]",
                nameof(input));
        using var capture = new LayerCapture(model, layer);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var batch = input.unsqueeze(0);
        model.CheckInput(batch);
        model.call(batch);
        using var output = capture.Take();
        return output.select(0, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The gray grid of an activation's channels. (C, H, W) gives C map tiles; (C, L) C strips; (K) one strip. By
    /// default each tile is scaled by its own range and strips are drawn with 8 x 8 pixel blocks.
    /// </summary>
    public static Tensor Render(Tensor activation, GridOptions? options = null)
    {
        if (activation.dim() is < 1 or > 3)
            throw new ArgumentException(
                $"an activation is (C, H, W), (C, L) or (K); got shape [{string.Join(", ", activation.shape)}]", nameof(activation));
        options ??= new GridOptions { Upscale = activation.dim() == 3 ? 1 : 8 };
        using var scope = torch.NewDisposeScope();
        var grid = ImageGrid.Compose(activation.dim() == 1 ? activation.unsqueeze(0) : activation, options);
        return grid.MoveToOuterDisposeScope();
    }
}
