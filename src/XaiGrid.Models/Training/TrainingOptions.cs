using XaiGrid.Data;

namespace XaiGrid.Models.Training;

/// <summary>
/// How a model is trained. Either <see cref="Epochs"/> or <see cref="Steps"/>; with steps, batches continue
/// across epochs (unshuffled: batch s holds items (s * B) mod N onwards, the MNIST-1D reference recipe).
/// </summary>
public sealed record TrainingOptions
{
    public static readonly string[] Optimizers = ["sgd", "adam"];
    public static readonly string[] Schedules = ["none", "step", "cosine"];

    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 1e-3;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 100;
    public int? Epochs { get; init; }
    public long? Steps { get; init; }
    public ulong Seed { get; init; }
    public bool Shuffle { get; init; } = true;

    /// <summary>The learning-rate schedule, stepped once per epoch: none, step (StepLR) or cosine (CosineAnnealingLR over the run).</summary>
    public string Schedule { get; init; } = "none";
    public int StepSize { get; init; } = 30;
    public double Gamma { get; init; } = 0.1;
    public Augmentation Augmentation { get; init; } = new();

    /// <summary>Evaluation batch size. Activations of a batch of 150 x 150 images through vgg7 take about 10 MB per image.</summary>
    public int EvalBatchSize { get; init; } = 100;

    public void Validate()
    {
        if (!Optimizers.Contains(Optimizer)) throw new ArgumentException($"unknown optimizer '{Optimizer}'; allowed: {string.Join(", ", Optimizers)}");
        if (!Schedules.Contains(Schedule)) throw new ArgumentException($"unknown schedule '{Schedule}'; allowed: {string.Join(", ", Schedules)}");
        if (LearningRate <= 0 || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay must be >= 0, got {WeightDecay}");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {BatchSize}");
        if ((Epochs is null) == (Steps is null)) throw new ArgumentException("give exactly one of epochs and steps");
        if (Epochs is <= 0 || Steps is <= 0) throw new ArgumentException("epochs and steps must be positive");
        if (StepSize <= 0) throw new ArgumentException($"step size must be positive, got {StepSize}");
    }
}
