using System.Text.Json;
using System.Text.Json.Nodes;
using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Influence;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>Class-wide influence (Leino et al. 2018): float64 partial sums over instance ranges, and their merge.</summary>
internal static class InfluenceExecutor
{
    public static CellOutput RunPartial(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var model = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        int c = p["class"]!.GetValue<int>();
        var set = Inputs.Split(split, p["split"]!.GetValue<string>());
        var positions = Inputs.PositionsOfClass(set, c);
        var (instances, _, _) = Inputs.Take(set, positions, 0, positions.Length);
        var range = Inputs.Range(p["instance_range"]);
        var influence = new InternalInfluence(model, p["layer"]!.GetValue<string>(), new DistributionOfInterest.Instances(instances),
            Quantity(p["qoi"]!.AsObject()));
        var partial = influence.AttributePartial(c, range[0], range[1]);
        var output = new CellOutput();
        output.Artifacts["sum"] = ExplainExecutor.Npy(torch.tensor(partial.Sum, partial.Shape));
        output.Scalars["instance_start"] = partial.Start;
        output.Scalars["instance_end"] = partial.End;
        return output;
    }

    public static CellOutput Merge(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        int c = p["class"]!.GetValue<int>();
        var pieces = item.Dependencies.Select(d =>
        {
            var sum = ExplainExecutor.Load(context, d.Artifact("sum"));
            long first = (long)d.Results.Scalars["instance_start"], last = (long)d.Results.Scalars["instance_end"];
            return new Partial(c, first, last, sum.shape, sum.contiguous().data<double>().ToArray(), last - first);
        });
        var merged = Partial.Merge(pieces);
        if (merged.Count != p["count"]!.GetValue<long>())
            throw new InvalidDataException($"merged influence of {merged.Count} instances, expected {p["count"]}");
        var influence = InternalInfluence.Finish(merged);
        var output = new CellOutput();
        output.Artifacts["influence"] = ExplainExecutor.Npy(influence);
        var max = ChannelScores.Of(influence, ChannelReduction.Max);
        var mean = ChannelScores.Of(influence, ChannelReduction.Mean);
        output.Tables["channel_scores"] = JsonSerializer.Serialize(new
        {
            max, mean, ranking_max = ChannelScores.Ranking(max), ranking_mean = ChannelScores.Ranking(mean),
        });
        return output;
    }

    /// <summary>The planner's qoi: {class: c}, {compare: [c, c2]} or {logits: [w...]}.</summary>
    public static QuantityOfInterest Quantity(JsonObject qoi)
    {
        if (qoi["class"] is { } c) return new QuantityOfInterest.Class(c.GetValue<int>());
        if (qoi["compare"] is JsonArray pair) return new QuantityOfInterest.Comparison(pair[0]!.GetValue<int>(), pair[1]!.GetValue<int>());
        if (qoi["logits"] is JsonArray weights) return new QuantityOfInterest.LinearCombination(weights.Select(w => w!.GetValue<double>()).ToArray());
        throw new FormatException($"unknown quantity of interest {qoi.ToJsonString()}");
    }
}
