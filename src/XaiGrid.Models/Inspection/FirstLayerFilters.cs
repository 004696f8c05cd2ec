using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace XaiGrid.Models.Inspection;

/// <summary>
/// The weights of a classifier's first convolution as an image grid. A Conv2d on 3 input channels shows each filter
/// as one RGB tile (input channel i as color i); any other Conv2d shows each (out, in) kernel as a gray tile, one row per output filter (columns = in channels); a Conv1d shows each output filter as an
/// (in x k) tile, so with one input channel a 1 x k strip, the strips stacked in one column.
/// </summary>
public static class FirstLayerFilters
{
    /// <summary>Filters are a few pixels wide: unless options say otherwise, each weight is drawn as an 8 x 8 block.</summary>
    public static readonly GridOptions DefaultOptions = new() { Upscale = 8 };

    /// <summary>The first Conv1d or Conv2d in named_modules order, with its layer name.</summary>
    public static (string name, Convolution layer) Find(Classifier model)
    {
        foreach (var (name, module) in model.named_modules())
            if (module is Conv1d or Conv2d) return (name, (Convolution)module);
        throw new ArgumentException(
            $"{model.Arch} has no Conv1d or Conv2d layer to show filters of; its layers are: {string.Join(", ", model.LayerNames)}");
    }

    /// <summary>The grid of the first convolution's filters.</summary>
    public static Tensor Render(Classifier model, GridOptions? options = null)
    {
        var (_, conv) = Find(model);
        options ??= DefaultOptions;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weight = conv.weight.detach();
        long outChannels = weight.size(0), inChannels = weight.size(1);
        Tensor grid;
        if (conv is Conv2d && inChannels != 3)
        {
            var kernels = weight.reshape(outChannels * inChannels, weight.size(2), weight.size(3));
            grid = ImageGrid.Compose(kernels, inChannels > 1 ? options with { Columns = options.Columns ?? (int)inChannels } : options);
        }
        else
        {
            // (out, 3, kh, kw) are RGB tiles; a Conv1d's (out, in, k) are (in x k) gray tiles.
            grid = ImageGrid.Compose(weight, options);
        }
        return grid.MoveToOuterDisposeScope();
    }
}
