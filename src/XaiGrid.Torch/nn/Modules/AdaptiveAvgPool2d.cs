using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d; (1, 1) is global average pooling.</summary>
    public sealed class AdaptiveAvgPool2d : torch.nn.Module
    {
        public long[] output_size { get; }

        internal AdaptiveAvgPool2d(long[] output_size)
        {
            if (output_size.Length is not (1 or 2) || output_size.Any(s => s <= 0))
                throw new ArgumentException($"AdaptiveAvgPool2d: output_size must be one or two positive sizes, got [{string.Join(", ", output_size)}]");
            this.output_size = output_size.Length == 1 ? [output_size[0], output_size[0]] : output_size;
        }

        public override Tensor forward(Tensor input) => F.adaptive_avg_pool2d(input, output_size);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>AdaptiveAvgPool2d(1) or AdaptiveAvgPool2d(h, w).</summary>
            public static Modules.AdaptiveAvgPool2d AdaptiveAvgPool2d(params long[] output_size) => new(output_size);
        }
    }
}
