using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Inspection;

/// <summary>Settings of <see cref="FeatureVisualization.Run"/>.</summary>
public sealed record FeatureVisualizationOptions
{
    public int Steps { get; init; } = 200;

    /// <summary>Step size of plain gradient ascent: x += LearningRate * grad J(x).</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>lambda in J(x) = S(x) - lambda ||x||^2, which keeps the input from growing without bound.</summary>
    public double L2Decay { get; init; } = 1e-3;

    /// <summary>Largest shift j: each step rolls the input by an offset in [-j, j] per spatial axis before the forward.</summary>
    public int Jitter { get; init; }

    /// <summary>Every element of the start (0: blank, 0.5: mid grey for inputs in [0, 1]).</summary>
    public double StartValue { get; init; }

    /// <summary>Standard deviation of seeded normal noise added to the start (0: none).</summary>
    public double StartNoise { get; init; }

    /// <summary>When set, every step clamps the input to [min, max] (e.g. the range of valid pixels).</summary>
    public (double min, double max)? Clamp { get; init; }

    /// <summary>Seeds the one generator that draws the start noise and the jitter offsets.</summary>
    public ulong Seed { get; init; }

    internal void Validate()
    {
        if (Steps < 0) throw new ArgumentException($"feature visualization Steps can't be negative, got {Steps}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"feature visualization LearningRate must be positive and finite, got {LearningRate}");
        if (!(L2Decay >= 0) || double.IsInfinity(L2Decay))
            throw new ArgumentException($"feature visualization L2Decay must be non-negative and finite, got {L2Decay}");
        if (Jitter < 0) throw new ArgumentException($"feature visualization Jitter can't be negative, got {Jitter}");
        if (!double.IsFinite(StartValue)) throw new ArgumentException($"feature visualization StartValue must be finite, got {StartValue}");
        if (!(StartNoise >= 0) || double.IsInfinity(StartNoise))
            throw new ArgumentException($"feature visualization StartNoise must be non-negative and finite, got {StartNoise}");
        if (Clamp is { } c && !(c.max > c.min))
            throw new ArgumentException($"feature visualization Clamp needs max > min, got [{c.min}, {c.max}]");
    }
}

/// <summary>
/// The optimized input, shaped as one model input (no batch axis), and History[k] = S(x_k) for k = 0 .. Steps:
/// the objective without the L2 term at the start, after each step, at the un-jittered input.
/// </summary>
public sealed class FeatureVisualizationResult(Tensor input, IReadOnlyList<double> history) : IDisposable
{
    public Tensor Input { get; } = input;

    public IReadOnlyList<double> History { get; } = history;

    public void Dispose() => Input.Dispose();
}

/// <summary>
/// Activation maximization: the input that maximizes a class logit or a channel's mean activation, found by plain
/// gradient ascent on J(x) = S(x) - lambda ||x||^2 from a blank or seeded-noise start. With jitter, each step
/// evaluates the gradient at the input rolled (circularly) by a random offset, which suppresses high-frequency
/// patterns that only work at one exact alignment. Every random draw comes from one generator seeded by
/// <see cref="FeatureVisualizationOptions.Seed"/>, so a run is reproducible. The model runs in its current mode
/// (call eval() first) and its parameters' gradients are left untouched.
/// </summary>
public static class FeatureVisualization
{
    public static FeatureVisualizationResult Run(Classifier model, FeatureObjective objective, FeatureVisualizationOptions? options = null)
    {
        options ??= new FeatureVisualizationOptions();
        options.Validate();
        if (objective is FeatureObjective.ClassLogit { Class: var c } && (c < 0 || c >= model.NumClasses))
            throw new ArgumentOutOfRangeException(nameof(objective), c, $"{model.Arch} has classes 0 .. {model.NumClasses - 1}");
        if (objective is FeatureObjective.LayerChannel { Channel: < 0 } negative)
            throw new ArgumentOutOfRangeException(nameof(objective), negative.Channel, "a channel index can't be negative");

        using var capture = objective is FeatureObjective.LayerChannel channel ? new LayerCapture(model, channel.Layer) : null;
        using var generator = new torch.Generator(options.Seed);
        using var scope = torch.NewDisposeScope();
        long[] shape = [1, .. model.InputShape];
        long[] spatialDims = Enumerable.Range(2, shape.Length - 2).Select(d => (long)d).ToArray();
        if (options.Jitter > 0 && spatialDims.Length == 0)
            throw new ArgumentException($"{model.Arch} takes inputs ({string.Join(", ", model.InputShape)}) with no spatial axis to jitter along");

        var x = torch.full(shape, options.StartValue);
        if (options.StartNoise > 0) x.add_(torch.randn(shape, generator: generator).mul(options.StartNoise));
        x.requires_grad = true;

        var history = new List<double>(options.Steps + 1);
        for (int step = 0; step < options.Steps; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            var seen = x;
            if (options.Jitter > 0)
            {
                var shifts = torch.randint(-options.Jitter, options.Jitter + 1, [spatialDims.Length], generator: generator).data<long>().ToArray();
                seen = x.roll(shifts, spatialDims);
            }
            var value = Objective(model, capture, objective, seen);
            history.Add(options.Jitter > 0 ? Evaluate(model, capture, objective, x) : value.ToDouble());
            var ascent = value.sub(x.square().sum().mul(options.L2Decay));
            var gradient = torch.autograd.grad([ascent], [x])[0]!;
            using (torch.no_grad())
            {
                x.add_(gradient, options.LearningRate);
                if (options.Clamp is { } range) x.copy_(x.clamp(range.min, range.max));
            }
        }
        history.Add(Evaluate(model, capture, objective, x));
        var result = x.detach().squeeze(0).DetachFromDisposeScope();
        return new FeatureVisualizationResult(result, history);
    }

    private static double Evaluate(Classifier model, LayerCapture? capture, FeatureObjective objective, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return Objective(model, capture, objective, input).ToDouble();
    }

    // S for a batch of one input, as a 0-d tensor that carries the autograd graph when grad mode is on.
    private static Tensor Objective(Classifier model, LayerCapture? capture, FeatureObjective objective, Tensor batch)
    {
        var logits = model.call(batch);
        switch (objective)
        {
            case FeatureObjective.ClassLogit logit:
                return logits[0][logit.Class];
            case FeatureObjective.LayerChannel channel:
                using (var output = capture!.Take())
                {
                    if (output.dim() < 2 || channel.Channel >= output.size(1))
                        throw new ArgumentOutOfRangeException(nameof(objective), channel.Channel,
                            $"layer '{channel.Layer}' of {model.Arch} outputs shape [{string.Join(", ", output.shape)}]; " +
                            $"channel {channel.Channel} is not among its {(output.dim() < 2 ? 0 : output.size(1))} channels");
                    return output[0][channel.Channel].mean();
                }
            default:
                throw new ArgumentException($"unknown feature objective {objective}", nameof(objective));
        }
    }
}
