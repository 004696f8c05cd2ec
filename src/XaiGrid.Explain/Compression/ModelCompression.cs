using XaiGrid.Explain.Attribution;
using XaiGrid.Data;
using XaiGrid.Explain.Influence;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Compression;

/// <summary>
/// Model compression by influence (Leino et al. 2018) for class c at layer l: channels ranked by class-wide
/// influence; the compressed model keeps the <c>top</c> most positive and <c>bottom</c> most negative channels of l,
/// zeroes all others, and says "c" when c has the largest logit (one-vs-rest). Each (top, bottom) point is computed on
/// its own by <see cref="Evaluate"/>; <see cref="Grid"/> runs them all.
/// </summary>
public sealed class ModelCompression
{
    public ModelCompression(Classifier model, string layer, int cls, IReadOnlyList<double> channelInfluence)
    {
        if (cls < 0 || cls >= model.NumClasses) throw new ArgumentOutOfRangeException(nameof(cls), cls, $"class {cls} is outside [0, {model.NumClasses}) of {model.Arch}");
        if (channelInfluence.Count == 0) throw new ArgumentException("no channel influence scores", nameof(channelInfluence));
        Model = model;
        Layer = Slice.CheckLayer(model, layer);
        Class = cls;
        Ranking = ChannelScores.Ranking(channelInfluence);
    }

    public Classifier Model { get; }

    public string Layer { get; }

    public int Class { get; }

    /// <summary>The channels of the layer, most positively influential first.</summary>
    public long[] Ranking { get; }

    public int Channels => Ranking.Length;

    /// <summary>The most items in one forward pass.</summary>
    public int MaxBatch { get; init; } = 500;

    /// <summary>
    /// Class-wide channel influence for <paramref name="cls"/> at <paramref name="layer"/>: P = the class's instances
    /// (N, ...), q = S_c, each channel scored by <paramref name="reduction"/>, computed in one partial over all of them.
    /// </summary>
    public static double[] ClassChannelInfluence(Classifier model, string layer, int cls, Tensor classInstances,
        ChannelReduction reduction = ChannelReduction.Max)
    {
        var influence = new InternalInfluence(model, layer, new DistributionOfInterest.Instances(classInstances), new QuantityOfInterest.Class(cls));
        var partial = influence.AttributePartial(cls, 0, classInstances.size(0));
        using var chi = InternalInfluence.Finish(partial);
        return ChannelScores.Of(chi, reduction);
    }

    /// <summary>Which channels stay: the first <paramref name="top"/> and the last <paramref name="bottom"/> of the ranking.</summary>
    public bool[] Kept(int top, int bottom)
    {
        if (top < 0 || top > Channels) throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be within [0, {Channels}] (channels of '{Layer}')");
        if (bottom < 0 || bottom > Channels) throw new ArgumentOutOfRangeException(nameof(bottom), bottom, $"bottom must be within [0, {Channels}] (channels of '{Layer}')");
        var keep = new bool[Channels];
        foreach (var j in Ranking[..top]) keep[j] = true;
        foreach (var j in Ranking[(Channels - bottom)..]) keep[j] = true;
        return keep;
    }

    /// <summary>One point of the grid: the compressed model's counts for the class on <paramref name="test"/>.</summary>
    public CompressionPoint Evaluate(LabeledDataset test, int top, int bottom)
    {
        var keep = Kept(top, bottom);
        return new CompressionPoint(top, bottom, keep.Count(k => k), ClassCounts.Count(Predict(test.Inputs, keep), test.LabelArray(), Class));
    }

    /// <summary>The original model's counts for the class on <paramref name="test"/>.</summary>
    public ClassCounts EvaluateOriginal(LabeledDataset test) => ClassCounts.Count(Predict(test.Inputs, null), test.LabelArray(), Class);

    /// <summary>Every (top, bottom) point and the original model, as one grid.</summary>
    public CompressionGrid Grid(LabeledDataset test, int[] tops, int[] bottoms) =>
        CompressionGrid.Assemble(Class, Layer, tops, bottoms,
            tops.SelectMany(t => bottoms.Select(b => Evaluate(test, t, b))).ToList(), EvaluateOriginal(test));

    /// <summary>The class with the largest logit for every input, with only the <paramref name="keep"/> channels (null: all, no hook).</summary>
    public long[] Predict(Tensor inputs, IReadOnlyList<bool>? keep)
    {
        Model.CheckInput(inputs);
        Model.eval();
        using var mask = keep is null ? null : new ChannelMask(Model, Layer, keep);
        using var noGrad = torch.no_grad();
        var result = new long[inputs.size(0)];
        foreach (var (start, count) in AttributionMethod.Chunks(inputs.size(0), MaxBatch))
        {
            using var scope = torch.NewDisposeScope();
            Model.call(inputs.narrow(0, start, count)).argmax(1).data<long>().CopyTo(result, (int)start);
        }
        return result;
    }
}
