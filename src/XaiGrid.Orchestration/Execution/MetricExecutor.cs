using System.Text.Json.Nodes;
using XaiGrid.Explain;
using XaiGrid.Explain.Evaluation;
using XaiGrid.Explain.Sanity;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>Faithfulness metrics of a job's merged maps over all its inputs, and the sanity check of its method.</summary>
internal static class MetricExecutor
{
    public static CellOutput Run(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var model = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        var merged = item.Dependencies[1];
        var (set, positions) = Inputs.Select(split, p["inputs"]!.AsObject());
        var (inputs, _, _) = Inputs.Take(set, positions, 0, positions.Length);
        var maps = ExplainExecutor.Load(context, merged.Artifact("maps")).to(context.Device);
        var targets = ExplainExecutor.Load(context, merged.Artifact("targets")).data<long>().ToArray();
        var metric = p["metric"]!.AsObject();
        var output = new CellOutput();
        if (item.Kind == "drop-increase")
        {
            var result = new DropIncrease(model, metric["frac"]!.GetValue<double>()).Evaluate(inputs, maps, targets);
            output.Scalars["drop_pct"] = result.DropPct;
            output.Scalars["increase_pct"] = result.IncreasePct;
            output.Scalars["count"] = result.Count;
            output.Tables["drop_increase"] = result.ToJson();
        }
        else
        {
            var mode = item.Kind == "insertion" ? InsertionDeletionMode.Insertion : InsertionDeletionMode.Deletion;
            var result = new InsertionDeletion(model, mode, metric["steps"]!.GetValue<int>())
            {
                Baseline = metric["baseline"]?.GetValue<double>() ?? 0,
                BlurSigma = metric["blur"]?.GetValue<double?>(),
            }.Evaluate(inputs, maps, targets);
            output.Scalars["auc"] = result.Auc;
            output.Scalars["count"] = result.Count;
            output.Tables[item.Kind] = result.ToJson();
        }
        return output;
    }

    public static CellOutput RunSanityCheck(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var trained = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        var (set, positions) = Inputs.Select(split, p["inputs"]!.AsObject());
        var (inputs, labels, ids) = Inputs.Take(set, positions, 0, positions.Length);
        var metric = p["metric"]!.AsObject();
        var targets = p["target"]!.GetValue<string>() == "label" ? labels : ExplainExecutor.Method(trained, p).Predict(inputs);
        var check = new SanityCheck(trained, model => ExplainExecutor.Method(model, p), metric["seed"]!.GetValue<ulong>(),
            metric["absolute"]!.GetValue<bool>());
        var result = check.Run(inputs, targets, ids);
        var output = new CellOutput();
        foreach (var layer in result.Layers) output.Scalars["spearman:" + layer.Layer] = layer.MeanCorrelation;
        output.Tables["sanity_check"] = result.ToJson();
        return output;
    }
}
