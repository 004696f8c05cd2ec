using System.Text.Json.Nodes;
using XaiGrid.Explain.Compression;
using XaiGrid.Explain.Influence;

namespace XaiGrid.Orchestration.Execution;

/// <summary>One (top, bottom) point of a compression grid: the class's recall and precision with only those channels kept.</summary>
internal static class CompressionExecutor
{
    public static CellOutput Run(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var model = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        var influence = ExplainExecutor.Load(context, item.Dependencies[1].Artifact("influence"));
        var reduction = p["aggregate"]!.GetValue<string>() == "mean" ? ChannelReduction.Mean : ChannelReduction.Max;
        var compression = new ModelCompression(model, p["layer"]!.GetValue<string>(), p["class"]!.GetValue<int>(),
            ChannelScores.Of(influence, reduction));
        int top = p["top"]!.GetValue<int>(), bottom = p["bottom"]!.GetValue<int>();
        var point = compression.Evaluate(split.Test, top, bottom);
        var original = compression.EvaluateOriginal(split.Test);
        var output = new CellOutput();
        output.Scalars["recall"] = point.Recall;
        output.Scalars["precision"] = point.Precision;
        output.Scalars["channels"] = point.Channels;
        output.Scalars["original_recall"] = original.Recall;
        output.Scalars["original_precision"] = original.Precision;
        return output;
    }
}
