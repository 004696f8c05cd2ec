using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>max(0, x), as torch.nn.ReLU.</summary>
    public sealed class ReLU : torch.nn.Module
    {
        internal ReLU() { }

        public override Tensor forward(Tensor input) => F.relu(input);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.ReLU ReLU() => new();
        }
    }
}
