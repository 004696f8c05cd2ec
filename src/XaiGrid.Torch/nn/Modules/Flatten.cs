namespace XaiGrid.Torch.Modules
{
    /// <summary>Flattens dimensions start_dim..end_dim into one, as torch.nn.Flatten (by default all but the batch dimension).</summary>
    public sealed class Flatten : torch.nn.Module
    {
        public long start_dim { get; }
        public long end_dim { get; }

        internal Flatten(long start_dim, long end_dim)
        {
            this.start_dim = start_dim;
            this.end_dim = end_dim;
        }

        public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.Flatten Flatten(long start_dim = 1, long end_dim = -1) => new(start_dim, end_dim);
        }
    }
}
