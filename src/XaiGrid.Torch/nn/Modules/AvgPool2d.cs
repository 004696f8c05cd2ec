using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>2-d average pooling with a square window, as torch.nn.AvgPool2d (stride defaults to the kernel size).</summary>
    public sealed class AvgPool2d : torch.nn.Module
    {
        public long kernel_size { get; }
        public long stride { get; }
        public long padding { get; }
        public bool ceil_mode { get; }
        public bool count_include_pad { get; }

        internal AvgPool2d(long kernel_size, long? stride, long padding, bool ceil_mode, bool count_include_pad)
        {
            this.kernel_size = kernel_size;
            this.stride = stride ?? kernel_size;
            this.padding = padding;
            this.ceil_mode = ceil_mode;
            this.count_include_pad = count_include_pad;
        }

        public override Tensor forward(Tensor input) =>
            F.avg_pool2d(input, [kernel_size], [stride], [padding], ceil_mode, count_include_pad);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.AvgPool2d AvgPool2d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false,
                bool count_include_pad = true) =>
                new(kernel_size, stride, padding, ceil_mode, count_include_pad);
        }
    }
}
