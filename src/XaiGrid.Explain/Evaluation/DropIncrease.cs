using System.Text.Json;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Evaluation;

/// <summary>
/// Drop% and Increase% (the Grad-CAM++ evaluation, DESIGN.md §4): keep the fraction <see cref="Frac"/> of each input's
/// features with the highest map values and zero the rest. The threshold is the map value at rank int(N * frac) of
/// the N features in descending order, and only values above it are kept, so ties at the threshold are all zeroed.
/// With Y = p_c(x) and O = p_c(x kept), the model's float32 softmax scores: drop = max(0, Y - O) / Y, increase = 1 if
/// O > Y. The result holds the means over the inputs times 100 and every input's values.
/// </summary>
public sealed class DropIncrease(Classifier model, double frac) : FaithfulnessMetric(model)
{
    public double Frac => frac is >= 0 and < 1 ? frac
        : throw new ArgumentOutOfRangeException(nameof(frac), frac, "frac must be in [0, 1): the threshold is the value at rank int(N * frac) < N");

    public DropIncreaseResult Evaluate(Tensor inputs, Tensor maps, long[]? targets = null)
    {
        double keepFraction = Frac;
        var (features, t) = Prepare(inputs, maps, targets);
        using (features)
        {
            var items = new List<DropIncreaseItem>();
            foreach (var (start, count) in Chunks(inputs.size(0), MaxBatch))
            {
                using var scope = torch.NewDisposeScope();
                var x = inputs.narrow(0, start, count);
                var map = features.narrow(0, start, count);
                var flat = map.flatten(1);
                // int(N * frac) as Python computes it: the float64 product truncated (10 * 0.7 -> 7, 100 * 0.29 -> 28).
                long rank = (long)(flat.size(1) * keepFraction);
                var threshold = flat.sort(1, descending: true).Values.narrow(1, rank, 1);
                var keep = flat.gt(threshold).view(map.shape).to(x.dtype);
                var chunkTargets = t[(int)start..(int)(start + count)];
                // The course's definition compares the model's float32 scores: two that both round to 1.0 are equal, where
                // float64 would count the rounding noise between saturated scores as an increase.
                var y = TargetProbabilities(x, chunkTargets, ScalarType.Float32);
                var o = TargetProbabilities(x * keep, chunkTargets, ScalarType.Float32);
                for (int i = 0; i < count; i++) items.Add(DropIncreaseItem.Of(chunkTargets[i], y[i], o[i]));
            }
            return new DropIncreaseResult(
                items.Average(i => i.Drop) * 100, items.Average(i => (double)i.Increase) * 100, items.Count, items.ToArray());
        }
    }
}

/// <summary>One input's values: its target class, Y = p_c(x), O = p_c(x kept), drop and increase (0 or 1).</summary>
public sealed record DropIncreaseItem(long Target, double Y, double O, double Drop, int Increase)
{
    internal static DropIncreaseItem Of(long target, double y, double o) =>
        // Y = 0 leaves nothing to drop (O >= Y); 0 / 0 would make the mean NaN.
        new(target, y, o, y > 0 ? Math.Max(0, y - o) / y : 0, o > y ? 1 : 0);
}

/// <summary>
/// Drop% and Increase% over a test set. JSON: {"drop_pct", "increase_pct", "count", "items": [{"target", "y", "o",
/// "drop", "increase"}]}.
/// </summary>
public sealed record DropIncreaseResult(double DropPct, double IncreasePct, int Count, DropIncreaseItem[] Items)
{
    public string ToJson() => JsonSerializer.Serialize(this, FaithfulnessMetric.Json);

    public static DropIncreaseResult FromJson(string json) =>
        JsonSerializer.Deserialize<DropIncreaseResult>(json, FaithfulnessMetric.Json)
        ?? throw new JsonException("The JSON text is null, not a drop/increase result.");
}
