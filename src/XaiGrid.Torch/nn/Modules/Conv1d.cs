using static XaiGrid.Torch.torch.nn;
using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>1-d convolution over (N, C, L) or (C, L), as torch.nn.Conv1d.</summary>
    public sealed class Conv1d : Convolution
    {
        internal Conv1d(long in_channels, long out_channels, long kernel_size, long stride, long padding, long dilation, long groups,
            bool bias, PaddingModes padding_mode, torch.Generator? generator)
            : base(in_channels, out_channels, [kernel_size], [stride], [padding], [dilation], groups, bias, padding_mode, generator)
        {
        }

        public override Tensor forward(Tensor input) =>
            F.conv1d(input, weight, bias, stride[0], padding[0], dilation[0], groups, padding_mode);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>
            /// A Conv1d layer. padding_mode Valid or Same stands for PyTorch's padding='valid' / 'same' (then leave
            /// padding at 0). Weights are drawn from <paramref name="generator"/> when given.
            /// </summary>
            public static Modules.Conv1d Conv1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
                long dilation = 1, long groups = 1, bool bias = true, PaddingModes padding_mode = PaddingModes.Explicit,
                Generator? generator = null) =>
                new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, generator);
        }
    }
}
