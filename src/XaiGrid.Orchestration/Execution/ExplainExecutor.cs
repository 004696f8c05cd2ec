using System.Globalization;
using System.Text.Json.Nodes;
using XaiGrid.Explain;
using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>
/// Explanation maps. A partial cell explains an input range (and, for sampled methods, a sample range, returning
/// float64 sums); the merge cell joins the partials in range order into the job's maps.
/// </summary>
internal static class ExplainExecutor
{
    public static CellOutput RunPartial(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var (model, method, inputs, targets, ids) = Prepare(item, p, context, Inputs.Range(p["input_range"]));
        var output = new CellOutput();
        output.Artifacts["targets"] = Npy(torch.tensor(targets));
        output.Scalars["input_start"] = Inputs.Range(p["input_range"])[0];
        if (p["sample_range"] is { } range)
        {
            var samples = Inputs.Range(range);
            var partials = ((SampledAttribution)method).AttributePartial(inputs, targets, ids, samples[0], samples[1]);
            var shape = new long[] { partials.Length }.Concat(partials[0].Shape).ToArray();
            output.Artifacts["sums"] = Npy(torch.tensor(partials.SelectMany(x => x.Sum).ToArray(), shape));
            output.Scalars["sample_start"] = samples[0];
            output.Scalars["sample_end"] = samples[1];
        }
        else
        {
            output.Artifacts["maps"] = Npy(method.Attribute(inputs, targets, ids));
        }
        return output;
    }

    /// <summary>
    /// Partials come in the planner's order: input ranges, and within each its sample ranges. Sampled sums of one input
    /// are merged in sample-range order (<see cref="Partial.Merge"/>), then finished by the method.
    /// </summary>
    public static CellOutput Merge(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var model = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        var method = Method(model, p);
        long count = p["count"]!.GetValue<long>();
        var inputShape = Inputs.Split(split, p["inputs"]!["split"]!.GetValue<string>()).InputShape;

        var maps = new List<Tensor>();
        var targets = new List<long>();
        foreach (var group in item.Dependencies.Skip(1).GroupBy(d => d.Results.Scalars["input_start"]).OrderBy(g => g.Key))
        {
            var parts = group.ToList();
            targets.AddRange(Load(context, parts[0].Artifact("targets")).data<long>().ToArray());
            if (method is not SampledAttribution sampled)
            {
                maps.Add(Load(context, parts.Single().Artifact("maps")));
                continue;
            }
            var sums = parts.Select(g => Load(context, g.Artifact("sums"))).ToList();
            for (long k = 0; k < sums[0].size(0); k++)
            {
                var pieces = parts.Select((g, j) =>
                {
                    long first = (long)g.Results.Scalars["sample_start"], last = (long)g.Results.Scalars["sample_end"];
                    var sum = sums[j][k];
                    return new Partial(k, first, last, sum.shape, sum.contiguous().data<double>().ToArray(), last - first);
                });
                maps.Add(sampled.Finish(Partial.Merge(pieces), inputShape).unsqueeze(0));
            }
        }
        var all = torch.cat(maps);
        if (all.size(0) != count) throw new InvalidDataException($"merged {all.size(0)} maps, expected {count}");
        // The explained inputs and their ids, so that a report can draw maps over their inputs from the store alone.
        var (set, positions) = Inputs.Select(split, p["inputs"]!.AsObject());
        var (inputs, _, ids) = Inputs.Take(set, positions, 0, positions.Length);
        var output = new CellOutput();
        output.Artifacts["maps"] = Npy(all);
        output.Artifacts["targets"] = Npy(torch.tensor(targets.ToArray()));
        output.Artifacts["inputs"] = Npy(inputs);
        output.Artifacts["ids"] = Npy(torch.tensor(ids));
        return output;
    }

    internal static (Classifier model, AttributionMethod method, Tensor inputs, long[] targets, long[] ids) Prepare(
        WorkItem item, JsonObject p, WorkerContext context, long[] range)
    {
        var split = context.Data(p["data"]!.AsObject());
        var model = context.Model(p["arch"]!.GetValue<string>(), split, item.Dependencies[0]);
        var (set, positions) = Inputs.Select(split, p["inputs"]!.AsObject());
        var (inputs, labels, ids) = Inputs.Take(set, positions, range[0], range[1]);
        var method = Method(model, p);
        var targets = p["target"]!.GetValue<string>() == "label" ? labels : method.Predict(inputs);
        return (model, method, inputs, targets, ids);
    }

    internal static AttributionMethod Method(Classifier model, JsonObject p)
    {
        var parameters = p["params"]!.AsObject().ToDictionary(kv => kv.Key, kv => Text(kv.Value));
        return MethodCatalog.Create(model, p["method"]!.GetValue<string>(), parameters);
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };

    /// <summary>An .npy artifact of <paramref name="t"/> (the writer copies a tensor on another device to the CPU).</summary>
    internal static ArtifactBytes Npy(Tensor t) => new(TorchExtras.Npy.save(t), ArtifactBytes.Npy);

    /// <summary>An .npy artifact, on the CPU (a worker moves what it computes with to its device).</summary>
    internal static Tensor Load(WorkerContext context, string hash) => TorchExtras.Npy.load(context.Artifacts.Get(hash));
}
