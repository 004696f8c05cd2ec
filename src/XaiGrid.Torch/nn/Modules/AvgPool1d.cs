using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>1-d average pooling, as torch.nn.AvgPool1d (stride defaults to the kernel size).</summary>
    public sealed class AvgPool1d : torch.nn.Module
    {
        public long kernel_size { get; }
        public long stride { get; }
        public long padding { get; }
        public bool ceil_mode { get; }
        public bool count_include_pad { get; }

        internal AvgPool1d(long kernel_size, long? stride, long padding, bool ceil_mode, bool count_include_pad)
        {
            this.kernel_size = kernel_size;
            this.stride = stride ?? kernel_size;
            this.padding = padding;
            this.ceil_mode = ceil_mode;
            this.count_include_pad = count_include_pad;
        }

        public override Tensor forward(Tensor input) => F.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.AvgPool1d AvgPool1d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false,
                bool count_include_pad = true) =>
                new(kernel_size, stride, padding, ceil_mode, count_include_pad);
        }
    }
}
