using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>
    /// Zeroes elements with probability p and scales the rest by 1 / (1 - p) in training mode; the identity in eval
    /// mode. Draws come from <see cref="generator"/> when set (not owned), so a training run can seed each step's dropout.
    /// </summary>
    public sealed class Dropout : torch.nn.Module
    {
        public double p { get; }

        public torch.Generator? generator { get; set; }

        internal Dropout(double p, torch.Generator? generator)
        {
            if (p < 0 || p > 1) throw new ArgumentException($"Dropout: probability has to be between 0 and 1, but got {p}");
            this.p = p;
            this.generator = generator;
        }

        public override Tensor forward(Tensor input) => F.dropout(input, p, training, generator);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Modules.Dropout Dropout(double p = 0.5, Generator? generator = null) => new(p, generator);
        }
    }
}
