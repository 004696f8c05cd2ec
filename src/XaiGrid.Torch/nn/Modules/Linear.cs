using static XaiGrid.Torch.torch.nn;
using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>y = x W^T + b over the last dimension, as torch.nn.Linear; weight is [out_features, in_features].</summary>
    public sealed class Linear : torch.nn.Module
    {
        public long in_features { get; }
        public long out_features { get; }

        internal Linear(long in_features, long out_features, bool bias, torch.Generator? generator)
        {
            if (in_features < 0 || out_features < 0)
                throw new ArgumentException($"Linear: in_features ({in_features}) and out_features ({out_features}) can't be negative");
            this.in_features = in_features;
            this.out_features = out_features;
            register_parameter("weight", torch.empty([out_features, in_features]));
            register_parameter("bias", bias ? torch.empty([out_features]) : null);
            reset_parameters(generator);
        }

        public Tensor weight => GetParameterOrNull("weight")!;

        public Tensor? bias => GetParameterOrNull("bias");

        /// <summary>PyTorch's default initialization, drawn from <paramref name="generator"/> when given.</summary>
        public void reset_parameters(torch.Generator? generator = null) => init.reset_linear_or_conv(weight, bias, generator);

        public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>A Linear layer; weights are drawn from <paramref name="generator"/> when given.</summary>
            public static Modules.Linear Linear(long in_features, long out_features, bool bias = true, Generator? generator = null) =>
                new(in_features, out_features, bias, generator);
        }
    }
}
