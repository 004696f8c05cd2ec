using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>How a loss is reduced over the batch; the values are at::Reduction's.</summary>
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        /// <summary>Convolution padding: explicit sizes, or PyTorch's 'valid' and 'same'.</summary>
        public enum PaddingModes { Explicit = 0, Valid = 1, Same = 2 }

        public enum InterpolationMode { Nearest = 0, Linear = 1, Bilinear = 2 }

        public enum PaddingMode { Constant = 0, Reflect = 1, Replicate = 2 }

        public static partial class functional
        {
            private static IntPtr Raw(Tensor? t) => t?.RawHandle ?? IntPtr.Zero;

            public static Tensor conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0,
                long dilation = 1, long groups = 1, PaddingModes padding_mode = PaddingModes.Explicit)
            {
                var r = new Tensor(xg_conv1d(input.Handle, weight.Handle, Raw(bias), stride, padding, (int)padding_mode, dilation, groups));
                GC.KeepAlive(bias);
                return r;
            }

            public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null,
                long[]? padding = null, long[]? dilation = null, long groups = 1, PaddingModes padding_mode = PaddingModes.Explicit)
            {
                long[] s = Pair(stride, 1), p = Pair(padding, 0), d = Pair(dilation, 1);
                fixed (long* ps = s)
                fixed (long* pp = p)
                fixed (long* pd = d)
                {
                    var r = new Tensor(xg_conv2d(input.Handle, weight.Handle, Raw(bias), ps, pp, (int)padding_mode, pd, groups));
                    GC.KeepAlive(bias);
                    return r;
                }
            }

            private static long[] Pair(long[]? v, long fallback) => v switch
            {
                null => [fallback, fallback],
                { Length: 1 } => [v[0], v[0]],
                { Length: 2 } => v,
                _ => throw new TorchException($"expected 1 or 2 values for a 2-d window, got {v.Length}"),
            };

            private static unsafe (Tensor, Tensor?) MaxPool(int n, Tensor input, long[] kernel, long[]? stride, long[] padding,
                long[] dilation, bool ceil_mode, bool with_indices)
            {
                long[] k = Fit(n, kernel, "kernel_size"), s = Fit(n, stride ?? kernel, "stride"), p = Fit(n, padding, "padding"),
                    d = Fit(n, dilation, "dilation");
                IntPtr output, indices = IntPtr.Zero;
                fixed (long* pk = k)
                fixed (long* ps = s)
                fixed (long* pp = p)
                fixed (long* pd = d)
                    Check(xg_max_pool(n, input.Handle, pk, ps, pp, pd, ceil_mode ? 1 : 0, &output, with_indices ? &indices : null));
                return (new Tensor(output), with_indices ? new Tensor(indices) : null);
            }

            private static long[] Fit(int n, long[] v, string name) =>
                v.Length == n ? v : v.Length == 1 ? Enumerable.Repeat(v[0], n).ToArray()
                    : throw new TorchException($"{name} needs 1 or {n} values, got {v.Length}");

            public static Tensor max_pool1d(Tensor input, long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) =>
                MaxPool(1, input, [kernel_size], stride is null ? null : [stride.Value], [padding], [dilation], ceil_mode, false).Item1;

            public static (Tensor output, Tensor indices) max_pool1d_with_indices(Tensor input, long kernel_size, long? stride = null,
                long padding = 0, long dilation = 1, bool ceil_mode = false)
            {
                var (o, i) = MaxPool(1, input, [kernel_size], stride is null ? null : [stride.Value], [padding], [dilation], ceil_mode, true);
                return (o, i!);
            }

            public static Tensor max_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                long[]? dilation = null, bool ceil_mode = false) =>
                MaxPool(2, input, kernel_size, stride, padding ?? [0], dilation ?? [1], ceil_mode, false).Item1;

            public static (Tensor output, Tensor indices) max_pool2d_with_indices(Tensor input, long[] kernel_size, long[]? stride = null,
                long[]? padding = null, long[]? dilation = null, bool ceil_mode = false)
            {
                var (o, i) = MaxPool(2, input, kernel_size, stride, padding ?? [0], dilation ?? [1], ceil_mode, true);
                return (o, i!);
            }

            private static unsafe Tensor AvgPool(int n, Tensor input, long[] kernel, long[]? stride, long[] padding, bool ceil_mode,
                bool count_include_pad)
            {
                long[] k = Fit(n, kernel, "kernel_size"), s = Fit(n, stride ?? kernel, "stride"), p = Fit(n, padding, "padding");
                fixed (long* pk = k)
                fixed (long* ps = s)
                fixed (long* pp = p)
                    return new Tensor(xg_avg_pool(n, input.Handle, pk, ps, pp, ceil_mode ? 1 : 0, count_include_pad ? 1 : 0));
            }

            public static Tensor avg_pool1d(Tensor input, long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false,
                bool count_include_pad = true) =>
                AvgPool(1, input, [kernel_size], stride is null ? null : [stride.Value], [padding], ceil_mode, count_include_pad);

            public static Tensor avg_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                bool ceil_mode = false, bool count_include_pad = true) =>
                AvgPool(2, input, kernel_size, stride, padding ?? [0], ceil_mode, count_include_pad);

            public static unsafe Tensor adaptive_avg_pool1d(Tensor input, long output_size)
            {
                long s = output_size;
                return new Tensor(xg_adaptive_avg_pool(1, input.Handle, &s));
            }

            public static unsafe Tensor adaptive_avg_pool2d(Tensor input, long[] output_size)
            {
                var s = Fit(2, output_size, "output_size");
                fixed (long* p = s) return new Tensor(xg_adaptive_avg_pool(2, input.Handle, p));
            }

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                var r = new Tensor(xg_linear(input.Handle, weight.Handle, Raw(bias)));
                GC.KeepAlive(bias);
                return r;
            }

            public static Tensor relu(Tensor input) => input.relu();

            public static Tensor sigmoid(Tensor input) => input.sigmoid();

            public static Tensor tanh(Tensor input) => input.tanh();

            public static Tensor softmax(Tensor input, long dim) => new(xg_softmax(input.Handle, dim));

            public static Tensor log_softmax(Tensor input, long dim) => new(xg_log_softmax(input.Handle, dim));

            /// <summary>
            /// Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1-p). Draws come from
            /// <paramref name="generator"/> when given, so a training run's dropout can be seeded by its identity.
            /// </summary>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
            {
                if (p < 0 || p > 1) throw new TorchException($"dropout probability has to be between 0 and 1, but got {p}");
                if (!training || p == 0) return input.alias();
                if (p == 1) return input.mul(0.0);
                using var keep = full(input.shape, 1 - p, input.dtype == float64 ? float64 : float32, input.device);
                using var mask = bernoulli(keep, generator);
                using var scaled = mask.div_(1 - p);
                return input.mul(scaled);
            }

            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0)
            {
                var r = new Tensor(xg_cross_entropy(input.Handle, target.Handle, Raw(weight), (int)reduction, ignore_index, label_smoothing));
                GC.KeepAlive(weight);
                return r;
            }

            public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean)
            {
                var r = new Tensor(xg_nll_loss(input.Handle, target.Handle, Raw(weight), (int)reduction, ignore_index));
                GC.KeepAlive(weight);
                return r;
            }

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                new(xg_mse_loss(input.Handle, target.Handle, (int)reduction));

            public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null,
                Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
            {
                var r = new Tensor(xg_batch_norm(input.Handle, Raw(weight), Raw(bias), Raw(running_mean), Raw(running_var),
                    training ? 1 : 0, momentum, eps));
                GC.KeepAlive(weight);
                GC.KeepAlive(bias);
                GC.KeepAlive(running_mean);
                GC.KeepAlive(running_var);
                return r;
            }

            /// <summary>Resizes (N, C, L) or (N, C, H, W) to <paramref name="size"/>. align_corners is only for linear modes.</summary>
            public static unsafe Tensor interpolate(Tensor input, long[] size, InterpolationMode mode = InterpolationMode.Nearest,
                bool? align_corners = null)
            {
                fixed (long* p = size)
                    return new Tensor(xg_interpolate(input.Handle, p, size.Length, (int)mode,
                        align_corners is null ? -1 : align_corners.Value ? 1 : 0));
            }

            /// <summary>Pads the last dimensions: pad = (left, right) per dimension, last dimension first, as F.pad.</summary>
            public static unsafe Tensor pad(Tensor input, long[] pad, PaddingMode mode = PaddingMode.Constant, double value = 0)
            {
                fixed (long* p = pad) return new Tensor(xg_pad(input.Handle, p, pad.Length, (int)mode, value));
            }
        }
    }
}
