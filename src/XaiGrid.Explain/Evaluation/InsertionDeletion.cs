using System.Text.Json;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Explain.Evaluation;

public enum InsertionDeletionMode { Deletion, Insertion }

/// <summary>
/// The causal metrics of RISE (Petsiuk et al. 2018). Features are taken in decreasing map order (ties in index order)
/// in <see cref="Steps"/> equal steps: after step k the first floor(k N / steps) of the N features are changed.
/// Deletion starts from the input and sets features to the baseline; insertion starts from the baseline and puts the
/// input's features back. p_c is recorded at the steps + 1 points, and the area under the curve is the trapezoid rule
/// over fractions k / steps in [0, 1]. A good map gives a low deletion AUC and a high insertion AUC.
/// <para>
/// The baseline is the constant <see cref="Baseline"/> (0 by default) or, with <see cref="BlurSigma"/>, a Gaussian
/// blur of the input (RISE's insertion baseline).
/// </para>
/// </summary>
public sealed class InsertionDeletion(Classifier model, InsertionDeletionMode mode, int steps = 100) : FaithfulnessMetric(model)
{
    public InsertionDeletionMode Mode => mode;

    public int Steps => steps >= 1 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "insertion/deletion needs at least 1 step");

    /// <summary>The value a removed (or not yet inserted) feature takes.</summary>
    public double Baseline { get; init; }

    /// <summary>When set, the baseline is the input blurred with a Gaussian of this standard deviation (in positions) instead.</summary>
    public double? BlurSigma { get; init; }

    public InsertionDeletionResult Evaluate(Tensor inputs, Tensor maps, long[]? targets = null)
    {
        if (BlurSigma is <= 0 or double.NaN) throw new ArgumentOutOfRangeException(nameof(BlurSigma), BlurSigma, "the blur's sigma must be positive");
        int points = Steps + 1;
        var (features, t) = Prepare(inputs, maps, targets);
        using (features)
        {
            var items = new List<InsertionDeletionItem>();
            // Each input becomes steps + 1 perturbed copies; a chunk holds about MaxBatch of them.
            foreach (var (start, count) in Chunks(inputs.size(0), Math.Max(1, MaxBatch / points)))
            {
                using var scope = torch.NewDisposeScope();
                var x = inputs.narrow(0, start, count);
                var map = features.narrow(0, start, count);
                var flat = map.flatten(1);
                long n = flat.size(1);
                // rank[i, j]: where feature j of input i comes in decreasing map order.
                var rank = flat.sort(1, descending: true, stable: true).Indices.argsort(1);
                var changedCounts = torch.tensor(Enumerable.Range(0, points).Select(k => k * n / Steps).ToArray()).view(1, points, 1);
                var changed = rank.unsqueeze(1).lt(changedCounts).view([count, points, .. map.shape[1..]]);
                var baseline = BlurSigma is { } sigma ? GaussianBlur(x, sigma) : torch.full_like(x, Baseline);
                var (from, to) = mode == InsertionDeletionMode.Deletion ? (x, baseline) : (baseline, x);
                var path = torch.where(changed, to.unsqueeze(1), from.unsqueeze(1)).flatten(0, 1);
                var chunkTargets = t[(int)start..(int)(start + count)];
                var p = TargetProbabilities(path, chunkTargets.SelectMany(c => Enumerable.Repeat(c, points)).ToArray(), ScalarType.Float64);
                for (int i = 0; i < count; i++)
                {
                    var curve = p[(i * points)..((i + 1) * points)];
                    items.Add(new InsertionDeletionItem(chunkTargets[i], Auc(curve), curve));
                }
            }
            var meanCurve = Enumerable.Range(0, points).Select(k => items.Average(item => item.Curve[k])).ToArray();
            return new InsertionDeletionResult(mode, Steps, items.Average(i => i.Auc), meanCurve, items.Count, items.ToArray());
        }
    }

    /// <summary>The trapezoid rule over curve[k] at k / (curve.Length - 1), k = 0 .. curve.Length - 1.</summary>
    public static double Auc(double[] curve)
    {
        if (curve.Length < 2) throw new ArgumentException($"an area needs at least 2 points, got {curve.Length}");
        double inner = 0;
        for (int k = 1; k < curve.Length - 1; k++) inner += curve[k];
        return (inner + (curve[0] + curve[^1]) / 2) / (curve.Length - 1);
    }

    /// <summary>
    /// Blurs (N, C, L) or (N, C, H, W) along every spatial axis, each channel alone, with a Gaussian of standard
    /// deviation <paramref name="sigma"/> cut at radius ceil(3 sigma); the borders repeat the edge values.
    /// </summary>
    public static Tensor GaussianBlur(Tensor x, double sigma)
    {
        if (x.ndim is not (3 or 4)) throw new ArgumentException($"a blur takes (N, C, L) or (N, C, H, W), got [{string.Join(", ", x.shape)}]");
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "the blur's sigma must be positive");
        using var scope = torch.NewDisposeScope();
        int radius = (int)Math.Ceiling(3 * sigma);
        var taps = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * (double)i / (2 * sigma * sigma))).ToArray();
        double total = taps.Sum();
        long channels = x.size(1);
        var kernel = torch.tensor(taps.Select(v => v / total).ToArray()).to(x.dtype);
        Tensor blurred;
        if (x.ndim == 3)
        {
            var padded = F.pad(x, [radius, radius], PaddingModes.Replicate);
            blurred = F.conv1d(padded, kernel.view(1, 1, -1).repeat(channels, 1, 1), groups: channels);
        }
        else
        {
            // Separable: along the width, then along the height.
            var padded = F.pad(x, [radius, radius, radius, radius], PaddingModes.Replicate);
            var rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups: channels);
            blurred = F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups: channels);
        }
        return scope.MoveToOuter(blurred);
    }
}

/// <summary>One input's target class, its curve of p_c at the steps + 1 points, and the curve's area.</summary>
public sealed record InsertionDeletionItem(long Target, double Auc, double[] Curve);

/// <summary>
/// Insertion or deletion over a test set: the mean AUC and the mean curve. JSON: {"mode", "steps", "auc", "curve",
/// "count", "items": [{"target", "auc", "curve"}]}.
/// </summary>
public sealed record InsertionDeletionResult(InsertionDeletionMode Mode, int Steps, double Auc, double[] Curve, int Count, InsertionDeletionItem[] Items)
{
    public string ToJson() => JsonSerializer.Serialize(this, FaithfulnessMetric.Json);

    public static InsertionDeletionResult FromJson(string json) =>
        JsonSerializer.Deserialize<InsertionDeletionResult>(json, FaithfulnessMetric.Json)
        ?? throw new JsonException("The JSON text is null, not an insertion/deletion result.");
}
