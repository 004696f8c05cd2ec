using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>1-d max pooling, as torch.nn.MaxPool1d (stride defaults to the kernel size).</summary>
    public sealed class MaxPool1d : torch.nn.Module
    {
        public long kernel_size { get; }
        public long stride { get; }
        public long padding { get; }
        public long dilation { get; }
        public bool ceil_mode { get; }

        internal MaxPool1d(long kernel_size, long? stride, long padding, long dilation, bool ceil_mode)
        {
            this.kernel_size = kernel_size;
            this.stride = stride ?? kernel_size;
            this.padding = padding;
            this.dilation = dilation;
            this.ceil_mode = ceil_mode;
        }

        public override Tensor forward(Tensor input) => F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.MaxPool1d MaxPool1d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1,
                bool ceil_mode = false) =>
                new(kernel_size, stride, padding, dilation, ceil_mode);
        }
    }
}
