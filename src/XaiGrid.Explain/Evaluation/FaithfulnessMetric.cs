using XaiGrid.Explain.Attribution;
using System.Text.Json;
using System.Text.Json.Serialization;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Evaluation;

/// <summary>
/// The shared base of metrics that judge maps by perturbing inputs in map order (drop/increase, insertion/deletion):
/// a model, a whole test set of inputs, one map per input and one target class per input (given, or the predicted
/// class). A map shaped like the inputs ranks elements; a map with one channel, (N, 1, ...), or none, (N, ...), ranks
/// positions, and a position carries every input channel with it. No forward pass holds more than
/// <see cref="MaxBatch"/> items.
/// </summary>
public abstract class FaithfulnessMetric(Classifier model)
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };

    public Classifier Model => model;

    /// <summary>The most items (inputs, or perturbed copies of inputs) in one forward pass.</summary>
    public int MaxBatch { get; init; } = 128;

    /// <summary>
    /// Checks inputs, maps and targets. Returns the maps as features, (N, C, ...) or (N, 1, ...) so that a keep mask
    /// of that shape broadcasts over the inputs (owned by the caller), and the targets (the predicted classes when none
    /// are given).
    /// </summary>
    protected (Tensor features, long[] targets) Prepare(Tensor inputs, Tensor maps, long[]? targets)
    {
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be at least 1");
        Model.CheckInput(inputs);
        long n = inputs.size(0);
        if (n == 0) throw new ArgumentException("no inputs to evaluate: the metrics are means over the inputs");
        var inputShape = inputs.shape;
        var mapShape = maps.shape;
        bool elements = mapShape.SequenceEqual(inputShape);
        bool oneChannel = mapShape.Length == inputShape.Length && mapShape[0] == n && mapShape[1] == 1 && mapShape[2..].SequenceEqual(inputShape[2..]);
        bool noChannel = mapShape.Length == inputShape.Length - 1 && mapShape[0] == n && mapShape[1..].SequenceEqual(inputShape[2..]);
        if (!elements && !oneChannel && !noChannel)
        {
            string spatial = string.Join(", ", inputShape[2..]);
            throw new ArgumentException(
                $"maps of shape [{string.Join(", ", mapShape)}] do not fit inputs of shape [{string.Join(", ", inputShape)}]: " +
                $"expected [{string.Join(", ", inputShape)}] (ranks elements), [{n}, 1, {spatial}] or [{n}, {spatial}] (rank positions)");
        }
        using (var finite = maps.isfinite().all())
            if (!finite.item<bool>()) throw new ArgumentException("maps hold NaN or infinite values, which have no rank");
        if (targets is not null && targets.Length != n) throw new ArgumentException($"{targets.Length} targets for {n} inputs");
        if (targets?.FirstOrDefault(c => c < 0 || c >= Model.NumClasses, -1) is { } bad and >= 0)
            throw new ArgumentException($"target class {bad} is outside [0, {Model.NumClasses}) of {Model.Arch}");
        Model.eval();
        return (noChannel ? maps.unsqueeze(1) : maps.alias(), targets ?? DefaultTargets(inputs));
    }

    /// <summary>
    /// p_c(z) of every row with its own target class c, the softmax computed in <paramref name="precision"/>: float64
    /// keeps small p_c from underflowing; float32 gives the model's own scores, as PyTorch and Keras code computes them.
    /// </summary>
    protected double[] TargetProbabilities(Tensor z, long[] targets, ScalarType precision)
    {
        var result = new double[z.size(0)];
        foreach (var (start, count) in Chunks(z.size(0), MaxBatch))
        {
            using var scope = torch.NewDisposeScope();
            var logits = Model.Logits(z.narrow(0, start, count)).to(precision);
            using var index = torch.tensor(targets[(int)start..(int)(start + count)]).unsqueeze(1);
            torch.nn.functional.softmax(logits, 1).gather(1, index).to(ScalarType.Float64).data<double>().CopyTo(result, (int)start);
        }
        return result;
    }

    /// <summary>The predicted classes, the targets that the attribution methods default to.</summary>
    private long[] DefaultTargets(Tensor inputs) => AttributionMethod.Predict(Model, inputs, MaxBatch);

    /// <summary>(start, count) pieces of [0, n) of at most <paramref name="size"/> each.</summary>
    protected static IEnumerable<(long start, long count)> Chunks(long n, long size) => Attribution.AttributionMethod.Chunks(n, size);
}
