using System.Text.Json.Nodes;
using XaiGrid.Explain.Influence;
using XaiGrid.Explain.Sanity;
using XaiGrid.Report.Data;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Report.Tables;

/// <summary>Tables of the explanation cells: faithfulness metrics, the sanity check, influential channels, compression.</summary>
internal static class ExplanationTables
{
    /// <summary>How many channels the influence tables list.</summary>
    public const int TopChannels = 5;

    private static readonly string[] FaithfulnessKinds = ["drop-increase", "insertion", "deletion"];

    public static IEnumerable<Table?> Build(ExperimentData e)
    {
        yield return Faithfulness(e);
        yield return Sanity(e);
        yield return ClassInfluence(e);
        yield return InstanceInfluence(e);
        yield return Compression(e);
    }

    /// <summary>The run, data, method, inputs and target of a cell about maps: what its row is about.</summary>
    private static (string Run, string Data, string Method, string Inputs, string Target) MapsIdentity(ExperimentData e, CellView cell) =>
        (e.Runs.Name(cell.TrainKey), RunNames.Data(cell), RunNames.Method(cell), RunNames.Inputs(cell), cell.Text("target"));

    private static Table? Faithfulness(ExperimentData e)
    {
        var cells = e.OfKind(FaithfulnessKinds).ToList();
        if (cells.Count == 0) return null;
        string Variant(CellView c) => string.Join(" ", c.Node("metric").AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}={Format.Value(kv.Value)}"));
        var variants = cells.Select(c => (c.Kind, Variant: Variant(c))).Distinct()
            .OrderBy(v => Array.IndexOf(FaithfulnessKinds, v.Kind)).ThenBy(v => v.Variant, StringComparer.Ordinal).ToList();
        var columns = new List<string> { "run", "data", "method", "inputs", "target" };
        foreach (var (kind, variant) in variants)
        {
            string suffix = variants.Count(v => v.Kind == kind) > 1 ? $" ({variant})" : "";
            columns.AddRange(kind == "drop-increase"
                ? [$"Drop%{suffix}", $"Increase%{suffix}", $"drop/increase items{suffix}"]
                : [$"{kind} AUC{suffix}", $"{kind} items{suffix}"]);
        }
        var rows = cells.GroupBy(c => MapsIdentity(e, c))
            .OrderBy(g => e.Runs.Rank(g.First().TrainKey)).ThenBy(g => g.Key.Data, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.Inputs, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Target, StringComparer.Ordinal)
            .Select(g =>
            {
                var row = new List<string> { g.Key.Run, g.Key.Data, g.Key.Method, g.Key.Inputs, g.Key.Target };
                foreach (var (kind, variant) in variants)
                {
                    var cell = g.FirstOrDefault(c => c.Kind == kind && Variant(c) == variant);
                    int width = kind == "drop-increase" ? 3 : 2;
                    if (cell is null) row.AddRange(Enumerable.Repeat(Format.NotPlanned, width));
                    else if (!cell.Done) row.AddRange(cell.Missing(width));
                    else if (kind == "drop-increase")
                        row.AddRange([Format.Fixed(cell.Scalar("drop_pct"), 2), Format.Fixed(cell.Scalar("increase_pct"), 2), Format.Integer(cell.Scalar("count"))]);
                    else row.AddRange([Format.Fixed(cell.Scalar("auc"), 4), Format.Integer(cell.Scalar("count"))]);
                }
                return (IReadOnlyList<string>)row;
            }).ToList();
        return new Table("faithfulness", "Faithfulness of the maps", columns, rows,
            "Drop% and Increase%: means over the items, times 100 (lower Drop% and higher Increase% are better). Insertion " +
            "AUC (higher is better) and deletion AUC (lower is better) of p_c. n/a: the metric was not requested for that method.");
    }

    private static Table? Sanity(ExperimentData e)
    {
        var cells = e.OfKind("sanity-check").ToList();
        if (cells.Count == 0) return null;
        var rows = new List<IReadOnlyList<string>>();
        foreach (var cell in cells.OrderBy(c => e.Runs.Rank(c.TrainKey)).ThenBy(c => MapsIdentity(e, c).ToString(), StringComparer.Ordinal))
        {
            var (run, data, method, inputs, _) = MapsIdentity(e, cell);
            if (!cell.Done)
            {
                rows.Add([run, data, method, inputs, "all", .. cell.Missing(2)]);
                continue;
            }
            foreach (var layer in SanityResult(cell).Layers)
                rows.Add([run, data, method, inputs, layer.Layer, Format.Fixed(layer.MeanCorrelation, 4), Format.Integer(layer.Correlations.Length)]);
        }
        return new Table("sanity_check", "Sanity check (model parameter randomization)",
            ["run", "data", "method", "inputs", "randomized from layer", "mean rank correlation", "items"], rows,
            "Spearman rank correlation between the trained model's maps and the maps once the layer and every layer above it " +
            "are randomized (cascading from the top). A method whose correlations stay near 1 fails the check.");
    }

    public static SanityCheckResult SanityResult(CellView cell) => SanityCheckResult.FromJson(cell.Table("sanity_check"));

    private static string Quantity(CellView cell)
    {
        var qoi = cell.Node("qoi").AsObject();
        if (qoi["class"] is { } c) return $"S_{Format.Value(c)}";
        if (qoi["compare"] is JsonArray pair) return $"S_{Format.Value(pair[0])} - S_{Format.Value(pair[1])}";
        return "logits " + qoi.ToJsonString();
    }

    private static string[] RankColumns(int k) => Enumerable.Range(1, k).Select(i => $"#{i}").ToArray();

    /// <summary>The top channels of one score vector as "channel (score)", highest first.</summary>
    private static IEnumerable<string> Top(IReadOnlyList<double> scores) =>
        ChannelScores.Ranking(scores).Take(TopChannels).Select(ch => $"{ch} ({Format.Fixed(scores[(int)ch], 4)})")
            .Concat(Enumerable.Repeat("-", Math.Max(0, TopChannels - scores.Count)));

    private static Table? ClassInfluence(ExperimentData e)
    {
        var cells = e.OfKind("merge-influence").ToList();
        if (cells.Count == 0) return null;
        var rows = cells.Select(c => (Cell: c, Run: e.Runs.Rank(Train(e, c)), Class: c.Node("class").GetValue<int>()))
            .OrderBy(x => x.Run).ThenBy(x => x.Cell.Text("layer"), StringComparer.Ordinal).ThenBy(x => Quantity(x.Cell), StringComparer.Ordinal)
            .ThenBy(x => x.Class).ThenBy(x => x.Cell.Key, StringComparer.Ordinal)
            .Select(x =>
            {
                var c = x.Cell;
                var names = e.Cell(Train(e, c)) is { Done: true } train ? TrainingTables.Report(train).ClassNames : null;
                IEnumerable<string> ranks = c.Done
                    ? Top(JsonNode.Parse(c.Table("channel_scores"))!["max"]!.AsArray().Select(v => v!.GetValue<double>()).ToList())
                    : c.Missing(TopChannels);
                return (IReadOnlyList<string>)
                [
                    e.Runs.Name(Train(e, c)), RunNames.Data(c), c.Text("layer"), Quantity(c), TrainingTables.ClassLabel(names, x.Class),
                    c.Text("split"), c.Text("count"), .. ranks,
                ];
            }).ToList();
        return new Table("influence_class", "Most influential channels per class (class-wide influence)",
            ["run", "data", "layer", "quantity", "class", "split", "instances", .. RankColumns(TopChannels)], rows,
            "Channels ranked by their class-wide influence, each reduced to its largest value over positions: channel (score).");
    }

    /// <summary>
    /// The train cell behind a merge-influence cell, which reads its partials only: the partials' first dependency.
    /// </summary>
    private static string? Train(ExperimentData e, CellView mergeInfluence) =>
        mergeInfluence.TrainKey is { } partial ? e.Cell(partial)?.TrainKey : null;

    private static Table? InstanceInfluence(ExperimentData e)
    {
        var cells = e.OfKind("merge-maps").Where(c => c.Text("method") == "influence").ToList();
        if (cells.Count == 0) return null;
        var rows = new List<IReadOnlyList<string>>();
        foreach (var cell in cells.OrderBy(c => e.Runs.Rank(c.TrainKey)).ThenBy(c => MapsIdentity(e, c).ToString(), StringComparer.Ordinal))
        {
            var (run, data, method, inputs, _) = MapsIdentity(e, cell);
            if (!cell.Done)
            {
                rows.Add([run, data, method, inputs, "-", "-", .. cell.Missing(TopChannels)]);
                continue;
            }
            using var scope = torch.NewDisposeScope();
            var maps = e.Npy(cell.Artifact("maps")!, e.Examples);
            long n = maps.size(0);
            var scores = ChannelScores.Reduce(maps, ChannelReduction.Max).to(ScalarType.Float64).contiguous();
            var values = scores.data<double>().ToArray();
            var targets = e.Npy(cell.Artifact("targets")!).data<long>().ToArray();
            var ids = cell.Artifact("ids") is { } idHash ? e.Npy(idHash).data<long>().ToArray() : null;
            long channels = scores.size(1);
            for (long i = 0; i < n; i++)
            {
                var row = values.AsSpan((int)(i * channels), (int)channels).ToArray();
                rows.Add([run, data, method, inputs, ids is null ? $"position {i}" : Format.Integer(ids[i]), Format.Integer(targets[i]), .. Top(row)]);
            }
        }
        return new Table("influence_instance", "Most influential channels per instance",
            ["run", "data", "method", "inputs", "item", "target", .. RankColumns(TopChannels)], rows,
            "The first explained items of each job (the experiment's report.examples): channels ranked by the item's influence, " +
            "each reduced to its largest value over positions: channel (score).");
    }

    private static Table? Compression(ExperimentData e)
    {
        var cells = e.OfKind("compression-point").ToList();
        if (cells.Count == 0) return null;
        var rows = cells.GroupBy(c => (Train: c.TrainKey, Layer: c.Text("layer"), Class: c.Node("class").GetValue<int>(), Aggregate: c.Text("aggregate")))
            .OrderBy(g => e.Runs.Rank(g.Key.Train)).ThenBy(g => g.Key.Layer, StringComparer.Ordinal).ThenBy(g => g.Key.Class)
            .ThenBy(g => g.Key.Aggregate, StringComparer.Ordinal)
            .Select(g =>
            {
                var first = g.First();
                var names = e.Cell(g.Key.Train) is { Done: true } train ? TrainingTables.Report(train).ClassNames : null;
                var state = Format.GroupState(g.Select(c => c.Record));
                var head = new List<string> { e.Runs.Name(g.Key.Train), RunNames.Data(first), g.Key.Layer, TrainingTables.ClassLabel(names, g.Key.Class), g.Key.Aggregate };
                var best = BestPoint(g);
                // The grid points column gives the full state; with no point done the values say it in one word.
                if (best is null) return (IReadOnlyList<string>)[.. head, .. Enumerable.Repeat(Format.Short(g.Select(c => c.Record)), 7), state!];
                return (IReadOnlyList<string>)
                [
                    .. head, best.Text("top"), best.Text("bottom"), Format.Integer(best.Scalar("channels")),
                    Format.Fixed(best.Scalar("recall"), 4), Format.Fixed(best.Scalar("precision"), 4),
                    Format.Fixed(best.Scalar("original_recall"), 4), Format.Fixed(best.Scalar("original_precision"), 4),
                    state ?? $"{g.Count()} done",
                ];
            }).ToList();
        return new Table("compression", "Compression by influence: the best (top, bottom) per class",
            ["run", "data", "layer", "class", "ranking", "top", "bottom", "channels kept", "recall", "precision", "original recall",
                "original precision", "grid points"], rows,
            "Keeping only the top most positive and bottom most negative channels of the layer by class-wide influence. Best: the " +
            "highest recall for the class, then the highest precision, then the fewest channels, among the grid points that are done.");
    }

    /// <summary>The best done point of a class's grid (see the compression table's note), or null when none is done.</summary>
    private static CellView? BestPoint(IEnumerable<CellView> grid) =>
        grid.Where(c => c.Done).OrderByDescending(c => c.Scalar("recall")).ThenByDescending(c => c.Scalar("precision"))
            .ThenBy(c => c.Scalar("channels")).ThenBy(c => c.Key, StringComparer.Ordinal).FirstOrDefault();
}
