using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Modules
{
    /// <summary>
    /// Batch normalization over (N, C, H, W), as torch.nn.BatchNorm2d. Training normalizes with the batch's statistics
    /// and updates running_mean and running_var (with the unbiased batch variance) by <see cref="momentum"/>, or by a
    /// cumulative average when momentum is null; eval normalizes with the running statistics.
    /// </summary>
    public sealed class BatchNorm2d : torch.nn.Module
    {
        public long num_features { get; }
        public double eps { get; }
        public double? momentum { get; }
        public bool affine { get; }
        public bool track_running_stats { get; }

        internal BatchNorm2d(long num_features, double eps, double? momentum, bool affine, bool track_running_stats)
        {
            if (num_features <= 0) throw new ArgumentException($"BatchNorm2d: num_features must be positive, got {num_features}");
            this.num_features = num_features;
            this.eps = eps;
            this.momentum = momentum;
            this.affine = affine;
            this.track_running_stats = track_running_stats;
            register_parameter("weight", affine ? torch.ones([num_features]) : null);
            register_parameter("bias", affine ? torch.zeros([num_features]) : null);
            register_buffer("running_mean", track_running_stats ? torch.zeros([num_features]) : null);
            register_buffer("running_var", track_running_stats ? torch.ones([num_features]) : null);
            register_buffer("num_batches_tracked", track_running_stats ? torch.zeros([], torch.int64) : null);
        }

        public Tensor? weight => GetParameterOrNull("weight");
        public Tensor? bias => GetParameterOrNull("bias");
        public Tensor? running_mean => GetBufferOrNull("running_mean");
        public Tensor? running_var => GetBufferOrNull("running_var");
        public Tensor? num_batches_tracked => GetBufferOrNull("num_batches_tracked");

        public override Tensor forward(Tensor input)
        {
            if (input.dim() != 4) throw new TorchException($"BatchNorm2d: expected a 4-d input (N, C, H, W), got shape [{string.Join(", ", input.shape)}]");
            if (input.size(1) != num_features)
                throw new TorchException($"BatchNorm2d: expected {num_features} channels, got input of shape [{string.Join(", ", input.shape)}]");
            // PyTorch's BatchNorm forward: the factor is momentum, or 1 / batches seen for a cumulative average.
            double factor = momentum ?? 0;
            if (training && num_batches_tracked is { } tracked)
            {
                tracked.add_(1);
                if (momentum is null) factor = 1.0 / tracked.item<long>();
            }
            bool useBatchStats = training || running_mean is null;
            return F.batch_norm(input, running_mean, running_var, weight, bias, useBatchStats, factor, eps);
        }
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>A BatchNorm2d layer; momentum null means a cumulative moving average, as PyTorch's momentum=None.</summary>
            public static Modules.BatchNorm2d BatchNorm2d(long num_features, double eps = 1e-5, double? momentum = 0.1,
                bool affine = true, bool track_running_stats = true) =>
                new(num_features, eps, momentum, affine, track_running_stats);
        }
    }
}
