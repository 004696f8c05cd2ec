using System.Text.Json.Nodes;
using ScottPlot;
using XaiGrid.Report.Data;
using XaiGrid.Report.Tables;
using XaiGrid.Store;

namespace XaiGrid.Report.Figures;

/// <summary>
/// Figures of the explanation cells: chosen inputs with every method's map, every method's Drop% and Increase%,
/// insertion and deletion curves, sanity check curves, and the compression recall heatmaps.
/// </summary>
internal static class ExplanationFigures
{
    public const string Group = "Explanations";

    public static IEnumerable<FigureSpec> Build(ExperimentData e) =>
        Maps(e).Concat(DropIncrease(e)).Concat(InsertionDeletion(e)).Concat(Sanity(e)).Concat(Compression(e));

    /// <summary>Cells about the same maps (run, data, inputs, target), grouped and in report order, methods sorted.</summary>
    private static IEnumerable<(string Identity, string Title, List<CellView> Cells)> ByInputs(ExperimentData e, IEnumerable<CellView> cells) =>
        cells.GroupBy(c => (c.TrainKey, Data: RunNames.Data(c), Inputs: RunNames.Inputs(c), Target: c.Text("target")))
            .OrderBy(g => e.Runs.Rank(g.Key.TrainKey)).ThenBy(g => g.Key.Data, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Inputs, StringComparer.Ordinal).ThenBy(g => g.Key.Target, StringComparer.Ordinal)
            .Select(g => (
                $"{g.Key.TrainKey}|{g.Key.Data}|{g.Key.Inputs}|{g.Key.Target}",
                $"{e.Runs.Name(g.Key.TrainKey)}, inputs {g.Key.Inputs}, target {g.Key.Target}",
                g.OrderBy(RunNames.Method, StringComparer.Ordinal).ThenBy(c => c.Key, StringComparer.Ordinal).ToList()));

    private static IEnumerable<FigureSpec> Maps(ExperimentData e)
    {
        if (e.Examples == 0) yield break;
        // Per-instance influence maps live in a layer's space, not the input's: the influence tables list them.
        var merges = e.OfKind("merge-maps").Where(c => c.Text("method") != "influence");
        foreach (var (identity, title, cells) in ByInputs(e, merges))
        {
            string caption = $"The first {e.Examples} explained inputs with each method's map (methods: " +
                              string.Join("; ", cells.Select(RunNames.Method)) + $"): {title}";
            var withInputs = cells.FirstOrDefault(c => c.Artifact("inputs") is not null);
            if (withInputs is null)
            {
                yield return FigureSpec.Missing(Group, caption, cells.Any(c => c.Done)
                    ? "these maps were merged before merge cells kept their inputs; run them again in a new store to draw them"
                    : Format.GroupState(cells.Select(c => c.Record))!);
                continue;
            }
            yield return new FigureSpec(Group, FigureSpec.Stem("maps", identity), caption, () => MapsFigure(e, withInputs, cells, title));
        }
    }

    private static Figure MapsFigure(ExperimentData e, CellView withInputs, List<CellView> cells, string title)
    {
        var inputs = e.Npy(withInputs.Artifact("inputs")!, e.Examples);
        var ids = e.Npy(withInputs.Artifact("ids")!).data<long>().ToArray();
        var targets = e.Npy(withInputs.Artifact("targets")!).data<long>().ToArray();
        int n = (int)inputs.size(0);
        var maps = cells.Select(c => c.Done ? e.Npy(c.Artifact("maps")!, n) : null).ToList();
        var panels = new List<Plot>();
        for (int i = 0; i < n; i++)
        {
            var input = inputs[i];
            for (int m = 0; m < cells.Count; m++)
            {
                string label = $"{cells[m].Text("method")} | item {ids[i]} c={targets[i]}";
                panels.Add(maps[m] is { } all ? ImagePanels.Map(label, input, all[i]) : Charts.Message(label, cells[m].State));
            }
        }
        bool image = inputs.dim() == 4;
        return new Figure($"Maps: {title}", panels, cells.Count, image ? 240 : 300, image ? 220 : 210);
    }

    private static IEnumerable<FigureSpec> DropIncrease(ExperimentData e)
    {
        foreach (var (identity, title, cells) in ByInputs(e, e.OfKind("drop-increase")))
        {
            string caption = $"Drop% (lower is better) and Increase% (higher is better) of each method's maps: {title}";
            yield return new FigureSpec(Group, FigureSpec.Stem("drop-increase", identity), caption, () => DropIncreaseFigure(cells, title));
        }
    }

    /// <summary>Two bars per method, as the faithfulness table reads them; a method whose cell is not done is named with its state.</summary>
    private static Figure DropIncreaseFigure(List<CellView> cells, string title)
    {
        var methods = cells.Select(c => c.Done ? RunNames.Method(c) : $"{RunNames.Method(c)} ({c.State})").ToList();
        double Percent(CellView c, string field) => c.Done ? c.Scalar(field) : double.NaN;
        var chart = new BarChart("mean over the explained inputs", "method", "percent", methods,
            [new BarSeries("Drop%", cells.Select(c => Percent(c, "drop_pct")).ToList()),
             new BarSeries("Increase%", cells.Select(c => Percent(c, "increase_pct")).ToList())])
            { ValueRange = (0, 100), ValueDecimals = 1, Horizontal = true };
        return new Figure($"Drop% and Increase%: {title}", [chart.ToPlot()], 1, 720, 80 + 48 * cells.Count);
    }

    private static IEnumerable<FigureSpec> InsertionDeletion(ExperimentData e)
    {
        foreach (var (identity, title, cells) in ByInputs(e, e.OfKind("insertion", "deletion")))
        {
            string caption = $"Mean insertion and deletion curves of p_c over the inputs, per method: {title}";
            yield return new FigureSpec(Group, FigureSpec.Stem("insertion-deletion", identity), caption, () => new Figure($"Insertion and deletion: {title}",
                cells.GroupBy(c => c.Kind).OrderBy(g => g.Key == "insertion" ? 0 : 1).Select(g => CurvePanel(g.Key, g.ToList())).ToList(), 2, 440, 340));
        }
    }

    private static Plot CurvePanel(string kind, List<CellView> cells)
    {
        var done = cells.Where(c => c.Done).ToList();
        if (done.Count == 0) return Charts.Message(kind, Format.GroupState(cells.Select(c => c.Record))!);
        var series = done.Select(c =>
        {
            var curve = JsonNode.Parse(c.Table(kind))!["curve"]!.AsArray().Select(Values.Number).ToArray();
            var x = Enumerable.Range(0, curve.Length).Select(k => curve.Length > 1 ? (double)k / (curve.Length - 1) : 0).ToArray();
            return new Series($"{RunNames.Method(c)} AUC {Format.Fixed(c.Scalar("auc"), 3)}", x, curve);
        }).ToList();
        string missing = done.Count < cells.Count ? $" ({Format.GroupState(cells.Select(c => c.Record))})" : "";
        return new LineChart(kind + missing, kind == "insertion" ? "fraction of features inserted" : "fraction of features deleted", "p_c", series)
            { XRange = (0, 1), YRange = (0, 1) }.ToPlot();
    }

    private static IEnumerable<FigureSpec> Sanity(ExperimentData e)
    {
        foreach (var (identity, title, cells) in ByInputs(e, e.OfKind("sanity-check")))
        {
            string caption = $"Sanity check: rank correlation of each method's maps as layers are randomized from the top: {title}";
            yield return new FigureSpec(Group, FigureSpec.Stem("sanity", identity), caption, () => SanityFigure(cells, title));
        }
    }

    private static Figure SanityFigure(List<CellView> cells, string title)
    {
        var panels = new List<Plot>();
        var done = cells.Where(c => c.Done).Select(c => (Cell: c, Result: ExplanationTables.SanityResult(c))).ToList();
        if (done.Count > 0)
        {
            var layers = done[0].Result.Layers.Select(l => l.Layer).ToList();
            var series = done.Select(d => new Series(RunNames.Method(d.Cell),
                d.Result.Layers.Select((_, k) => (double)k).ToArray(), d.Result.Layers.Select(l => l.MeanCorrelation).ToArray())).ToList();
            panels.Add(new LineChart("mean Spearman correlation", "randomized from layer (top first)", "rank correlation", series)
                { XCategories = layers, YRange = (-1, 1), Markers = true, Legend = Alignment.LowerLeft }.ToPlot());
        }
        panels.AddRange(cells.Where(c => !c.Done).Select(c => Charts.Message(RunNames.Method(c), c.State)));
        return new Figure($"Sanity check: {title}", panels, 2, 480, 340);
    }

    private static IEnumerable<FigureSpec> Compression(ExperimentData e)
    {
        var groups = e.OfKind("compression-point")
            .GroupBy(c => (c.TrainKey, Layer: c.Text("layer"), Aggregate: c.Text("aggregate")))
            .OrderBy(g => e.Runs.Rank(g.Key.TrainKey)).ThenBy(g => g.Key.Layer, StringComparer.Ordinal).ThenBy(g => g.Key.Aggregate, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            string title = $"{e.Runs.Name(g.Key.TrainKey)}, layer {g.Key.Layer}, ranking by {g.Key.Aggregate}";
            var names = e.Cell(g.Key.TrainKey) is { Done: true } train ? TrainingTables.Report(train).ClassNames : null;
            string caption = $"Recall of each class with only the top most positive and bottom most negative channels kept " +
                             $"(P: pending, F: failed): {title}";
            var cells = g.ToList();
            yield return new FigureSpec(Group, FigureSpec.Stem("compression", $"{g.Key.TrainKey}|{g.Key.Layer}|{g.Key.Aggregate}"), caption,
                () => new Figure($"Compression recall: {title}", cells.GroupBy(c => c.Node("class").GetValue<int>()).OrderBy(c => c.Key)
                    .Select(c => RecallPanel(TrainingTables.ClassLabel(names, c.Key), c.ToList())).ToList(), 4, 300, 260));
        }
    }

    /// <summary>Leino et al. (2018), Fig. 3: the recall of one class over the (top, bottom) grid, with a colour bar over [0, 1].</summary>
    private static Plot RecallPanel(string label, List<CellView> grid)
    {
        var tops = grid.Select(c => c.Node("top").GetValue<int>()).Distinct().Order().ToList();
        var bottoms = grid.Select(c => c.Node("bottom").GetValue<int>()).Distinct().Order().ToList();
        var values = new double[tops.Count, bottoms.Count];
        var text = new string?[tops.Count, bottoms.Count];
        for (int i = 0; i < tops.Count; i++)
            for (int j = 0; j < bottoms.Count; j++) values[i, j] = double.NaN;
        foreach (var c in grid)
        {
            int i = tops.IndexOf(c.Node("top").GetValue<int>()), j = bottoms.IndexOf(c.Node("bottom").GetValue<int>());
            if (c.Done) values[i, j] = c.Scalar("recall");
            else text[i, j] = c.Record.State == CellState.Failed ? "F" : "P";
        }
        var original = grid.FirstOrDefault(c => c.Done) is { } d ? $", original {Format.Fixed(d.Scalar("original_recall"), 2)}" : "";
        return new MatrixHeatmap($"class {label}{original}", values, MatrixHeatmap.Numbers(tops), MatrixHeatmap.Numbers(bottoms),
            "bottom (most negative channels kept)", "top (most positive kept)", "recall") { Range = (0, 1), CellText = text }.ToPlot();
    }
}
