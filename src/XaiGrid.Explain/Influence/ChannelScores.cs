using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>How a channel's influence map becomes one score: its largest value (Leino et al.'s default) or its mean.</summary>
public enum ChannelReduction { Max, Mean }

/// <summary>
/// Channel scores of influence maps and the rankings built on them. Units are channels (axis 1 of a layer's output);
/// a layer without positions, (N, C), scores each unit by itself.
/// </summary>
public static class ChannelScores
{
    /// <summary>Scores of influence maps (N, C, ...): (N, C), each channel reduced over its positions.</summary>
    public static Tensor Reduce(Tensor influence, ChannelReduction reduction = ChannelReduction.Max)
    {
        if (influence.ndim < 2)
            throw new ArgumentException($"influence maps are (N, C, ...), got shape [{string.Join(", ", influence.shape)}]", nameof(influence));
        if (influence.ndim == 2) return influence.alias();
        using var flat = influence.flatten(2);
        return reduction == ChannelReduction.Max ? flat.amax([2]) : flat.mean([2]);
    }

    /// <summary>The channel scores of one influence map (C, ...), as float64 values.</summary>
    public static double[] Of(Tensor influence, ChannelReduction reduction = ChannelReduction.Max)
    {
        using var scope = torch.NewDisposeScope();
        return Reduce(influence.unsqueeze(0), reduction)[0].to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    /// <summary>Every channel, highest score first; equal scores keep the lower channel first.</summary>
    public static long[] Ranking(IReadOnlyList<double> scores)
    {
        if (scores.Any(double.IsNaN)) throw new ArgumentException("channel scores contain NaN", nameof(scores));
        return Enumerable.Range(0, scores.Count).OrderByDescending(j => scores[j]).ThenBy(j => j).Select(j => (long)j).ToArray();
    }

    /// <summary>The <paramref name="k"/> channels with the highest scores, highest first.</summary>
    public static long[] Top(IReadOnlyList<double> scores, int k)
    {
        if (k < 0 || k > scores.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be within [0, {scores.Count}] (the number of channels)");
        return Ranking(scores)[..k];
    }
}
