using static XaiGrid.Torch.torch.nn;

namespace XaiGrid.Torch.Modules;

/// <summary>What Conv1d and Conv2d share (PyTorch's _ConvNd): weight [out, in / groups, *kernel], optional bias, default init.</summary>
public abstract class Convolution : torch.nn.Module
{
    public long in_channels { get; }
    public long out_channels { get; }
    public long[] kernel_size { get; }
    public long[] stride { get; }
    public long[] padding { get; }
    public long[] dilation { get; }
    public long groups { get; }
    public PaddingModes padding_mode { get; }

    private protected Convolution(long in_channels, long out_channels, long[] kernel_size, long[] stride, long[] padding,
        long[] dilation, long groups, bool bias, PaddingModes padding_mode, torch.Generator? generator)
    {
        string name = GetType().Name;
        if (in_channels <= 0 || out_channels <= 0 || groups <= 0)
            throw new ArgumentException($"{name}: in_channels ({in_channels}), out_channels ({out_channels}) and groups ({groups}) must be positive");
        if (in_channels % groups != 0) throw new ArgumentException($"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})");
        if (out_channels % groups != 0) throw new ArgumentException($"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})");
        if (kernel_size.Any(k => k <= 0)) throw new ArgumentException($"{name}: kernel_size must be positive, got [{string.Join(", ", kernel_size)}]");
        if (stride.Any(s => s <= 0)) throw new ArgumentException($"{name}: stride must be positive, got [{string.Join(", ", stride)}]");
        if (dilation.Any(d => d <= 0)) throw new ArgumentException($"{name}: dilation must be positive, got [{string.Join(", ", dilation)}]");
        if (padding.Any(p => p < 0)) throw new ArgumentException($"{name}: padding can't be negative, got [{string.Join(", ", padding)}]");
        if (padding_mode != PaddingModes.Explicit && padding.Any(p => p != 0))
            throw new ArgumentException($"{name}: give either padding sizes or padding_mode {padding_mode}, not both");
        if (padding_mode == PaddingModes.Same && stride.Any(s => s != 1))
            throw new ArgumentException($"{name}: padding 'same' is not supported for strided convolutions (stride [{string.Join(", ", stride)}])");

        this.in_channels = in_channels;
        this.out_channels = out_channels;
        this.kernel_size = kernel_size;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        this.padding_mode = padding_mode;
        register_parameter("weight", torch.empty([out_channels, in_channels / groups, .. kernel_size]));
        register_parameter("bias", bias ? torch.empty([out_channels]) : null);
        reset_parameters(generator);
    }

    public Tensor weight => GetParameterOrNull("weight")!;

    public Tensor? bias => GetParameterOrNull("bias");

    /// <summary>PyTorch's default initialization, drawn from <paramref name="generator"/> when given.</summary>
    public void reset_parameters(torch.Generator? generator = null) => init.reset_linear_or_conv(weight, bias, generator);
}
