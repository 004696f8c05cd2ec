namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// In-place initializers, as torch.nn.init. Every draw comes from <c>generator</c> when one is given, so a
        /// model built with a generator seeded s holds the same float32 weights as PyTorch's after torch.manual_seed(s).
        /// </summary>
        public static class init
        {
            public enum NonlinearityType { Linear, Conv1D, Conv2D, Sigmoid, Tanh, ReLU, LeakyReLU, SELU }

            public enum FanInOut { FanIn, FanOut }

            /// <summary>The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).</summary>
            public static double calculate_gain(NonlinearityType nonlinearity, double? param = null) => nonlinearity switch
            {
                NonlinearityType.Linear or NonlinearityType.Conv1D or NonlinearityType.Conv2D or NonlinearityType.Sigmoid => 1,
                NonlinearityType.Tanh => 5.0 / 3,
                NonlinearityType.ReLU => Math.Sqrt(2.0),
                NonlinearityType.LeakyReLU => Math.Sqrt(2.0 / (1 + (param ?? 0.01) * (param ?? 0.01))),
                NonlinearityType.SELU => 3.0 / 4,
                _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "unknown nonlinearity"),
            };

            /// <summary>fan_in = size(1) x receptive field, fan_out = size(0) x receptive field, as PyTorch computes them.</summary>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                var shape = tensor.shape;
                if (shape.Length < 2)
                    throw new TorchException($"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [{string.Join(", ", shape)}]");
                long receptive = 1;
                for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
                return (shape[1] * receptive, shape[0] * receptive);
            }

            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
            {
                // PyTorch's CPU uniform_ computes x * (to - from) + from with from and to rounded to the tensor's dtype and
                // no intermediate rounding of the product. The same arithmetic on float64 copies of rand's draws (which
                // consume the generator exactly as uniform_ does) reproduces its float32 values bit for bit.
                double from, range;
                switch (tensor.dtype)
                {
                    case ScalarType.Float32:
                        float f = (float)a, t = (float)b;
                        from = f;
                        range = t - f;
                        break;
                    case ScalarType.Float64:
                        from = a;
                        range = b - a;
                        break;
                    default:
                        throw new TorchException($"uniform_ needs a float32 or float64 tensor, got {tensor.dtype}");
                }
                using var draws = rand(tensor.shape, generator, tensor.dtype);
                using var wide = draws.to(float64);
                using var scaled = wide.mul(range);
                using var values = scaled.add(from);
                return Fill(tensor, values);
            }

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                using var values = normal(mean, std, tensor.shape, generator, tensor.dtype);
                return Fill(tensor, values);
            }

            public static Tensor constant_(Tensor tensor, double value)
            {
                using (no_grad()) tensor.fill_(value);
                return tensor;
            }

            public static Tensor zeros_(Tensor tensor) => constant_(tensor, 0);

            public static Tensor ones_(Tensor tensor) => constant_(tensor, 1);

            /// <summary>
            /// Uniform on [-bound, bound] with bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)
            /// (He et al. 2015), as torch.nn.init.kaiming_uniform_.
            /// </summary>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanInOut mode = FanInOut.FanIn,
                NonlinearityType nonlinearity = NonlinearityType.LeakyReLU, Generator? generator = null)
            {
                if (tensor.numel() == 0) return tensor;
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                double gain = calculate_gain(nonlinearity, a);
                double std = gain / Math.Sqrt(mode == FanInOut.FanIn ? fanIn : fanOut);
                double bound = Math.Sqrt(3.0) * std;
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>
            /// The default initialization of Linear and Conv layers (their reset_parameters): kaiming_uniform_ with
            /// a = sqrt(5), which is uniform on +-1/sqrt(fan_in), then the bias uniform on +-1/sqrt(fan_in).
            /// </summary>
            internal static void reset_linear_or_conv(Tensor weight, Tensor? bias, Generator? generator)
            {
                kaiming_uniform_(weight, Math.Sqrt(5), generator: generator);
                if (bias is null) return;
                var (fanIn, _) = calculate_fan_in_and_fan_out(weight);
                double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
                uniform_(bias, -bound, bound, generator);
            }

            private static Tensor Fill(Tensor tensor, Tensor values)
            {
                using (no_grad()) tensor.copy_(values);
                return tensor;
            }
        }
    }
}
