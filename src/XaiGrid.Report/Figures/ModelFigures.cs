using System.Text.Json.Nodes;
using ScottPlot;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Inspection;
using XaiGrid.Models.Metrics;
using XaiGrid.Report.Data;
using XaiGrid.Report.Tables;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;

namespace XaiGrid.Report.Figures;

/// <summary>
/// Figures of each training run: loss and accuracy curves, the normalized confusion matrix, per-class ROC curves,
/// per-class precision, recall and F1, first-layer filters with layer activations, and example successes and failures.
/// </summary>
internal static class ModelFigures
{
    public const string Group = "Models";

    /// <summary>
    /// Grids of the report's inspection panels, NaN (drawn white) between tiles: a cell per value of a 2-D tile; four
    /// rows per 1-D strip, so strips stand out from the one-row gaps between them.
    /// </summary>
    private static GridOptions InspectionGrid(bool strips) => new() { PadValue = double.NaN, Upscale = strips ? 4 : 1 };

    public static IEnumerable<FigureSpec> Build(ExperimentData e)
    {
        foreach (var run in e.OfKind("train").Order(e.Runs.Order))
        {
            string name = e.Runs.Name(run.Key);
            if (!run.Done)
            {
                yield return FigureSpec.Missing(Group, $"Run {name}", run.State);
                continue;
            }
            string key = run.Key[..12];
            var report = TrainingTables.Report(run);
            yield return new FigureSpec(Group, $"curves-{key}", $"Loss and accuracy during training: {name}", () => Curves(run, name));
            yield return new FigureSpec(Group, $"confusion-{key}", $"Normalized confusion matrix (rows: true class): {name}", () => Confusion(report, name));
            yield return new FigureSpec(Group, $"roc-{key}", $"One-vs-rest ROC curves with their AUC: {name}", () => Roc(report, name));
            yield return new FigureSpec(Group, $"per-class-{key}", $"Precision, recall and F1 of each class on the test set: {name}",
                () => PerClass(report, name));
            yield return new FigureSpec(Group, $"inspection-{key}", $"First-layer filters and layer activations for the first success: {name}",
                () => Inspection(e, run, report, name));
            if (run.Artifact("examples") is { } examples)
                yield return new FigureSpec(Group, $"examples-{key}", $"The most confident successes and failures on the test set: {name}",
                    () => Examples(e, examples, report, name));
            else
                yield return FigureSpec.Missing(Group, $"Successes and failures: {name}",
                    "this run was computed before train cells kept their example inputs; run it again in a new store to draw them");
        }
    }

    private static Figure Curves(CellView run, string name)
    {
        var epochs = JsonNode.Parse(run.Table("history"))!.AsArray().Select(n => n!.AsObject()).ToList();
        bool bySteps = epochs.All(h => h["step"] is not null);
        var x = epochs.Select(h => Values.Number(bySteps ? h["step"] : h["epoch"])).ToArray();
        Series Line(string label, string field) => new(label, x, epochs.Select(h => Values.Number(h[field])).ToArray());
        string xLabel = bySteps ? "step" : "epoch";
        return new Figure($"Training: {name}",
        [
            new LineChart("loss", xLabel, "cross-entropy", [Line("train", "train_loss"), Line("test", "test_loss")]) { Markers = true }.ToPlot(),
            new LineChart("accuracy", xLabel, "accuracy", [Line("train", "train_accuracy"), Line("test", "test_accuracy")])
                { Markers = true, Legend = Alignment.LowerRight }.ToPlot(),
        ], 2, 440, 320);
    }

    private static string[] ClassLabels(ClassificationReport report) =>
        Enumerable.Range(0, report.NumClasses).Select(c => TrainingTables.ClassLabel(report.ClassNames, c)).ToArray();

    public static Figure Confusion(ClassificationReport report, string name)
    {
        var m = report.ConfusionMatrixNormalized;
        var values = new double[report.NumClasses, report.NumClasses];
        for (int i = 0; i < report.NumClasses; i++)
            for (int j = 0; j < report.NumClasses; j++) values[i, j] = m[i][j];
        var labels = ClassLabels(report);
        return new Figure($"Confusion matrix: {name}",
            [new MatrixHeatmap($"accuracy {Format.Fixed(report.Accuracy, 4)}", values, labels, labels, "predicted class", "true class",
                "fraction of the true class").ToPlot()],
            1, 500, 440);
    }

    private static Figure Roc(ClassificationReport report, string name)
    {
        var labels = ClassLabels(report);
        var series = report.Roc.Select((r, c) => new Series($"{labels[c]}  AUC {Format.Fixed(r.Auc, 3)}", r.Fpr, r.Tpr)).ToList();
        return new Figure($"ROC curves: {name}",
            [new LineChart("one vs rest", "false positive rate", "true positive rate", series)
                { XRange = (0, 1), YRange = (0, 1), Reference = (0, 0, 1, 1), Legend = Alignment.LowerRight }.ToPlot()],
            1, 460, 440);
    }

    private static Figure PerClass(ClassificationReport report, string name) =>
        new($"Per-class metrics: {name}",
            [new BarChart($"macro F1 {Format.Fixed(report.MacroF1, 3)}", "class", "score", ClassLabels(report),
                [new BarSeries("precision", report.Precision), new BarSeries("recall", report.Recall), new BarSeries("F1", report.F1)])
                { ValueRange = (0, 1) }.ToPlot()],
            1, 680, 340);

    private static Figure Inspection(ExperimentData e, CellView run, ClassificationReport report, string name)
    {
        string arch = RunNames.Arch(run);
        // An architecture from a model file would mean reading a path from the store: only built-in ones are rebuilt.
        if (!ModelZoo.Names.Contains(arch))
            return new Figure($"Inspection: {name}",
                [Charts.Message("filters", $"architecture '{arch}' is a model file; the report rebuilds only built-in architectures")], 1, 320, 220);
        var examples = run.Artifact("examples") is { } hash ? e.Npy(hash) : null;
        var input = examples is not null && examples.size(0) > 0 ? examples[0] : null;
        using var model = ModelZoo.Create(arch, report.NumClasses, input?.shape);
        var weights = SafeTensors.load(e.ArtifactBytes(run.Artifact("weights")!), $"weights of run {run.Key[..12]}");
        try
        {
            WeightFiles.Apply(model, weights, $"weights of run {run.Key[..12]}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        model.eval();

        var (firstLayer, conv) = FirstLayerFilters.Find(model);
        bool strips = conv is Conv1d;
        var filters = FirstLayerFilters.Render(model, InspectionGrid(strips));
        var panels = new List<Plot> { ImagePanels.Grid($"{firstLayer} filters", filters, "weight, scaled per filter", strips) };
        if (input is null)
        {
            panels.Add(Charts.Message("activations", "no example input is stored for this run"));
            return new Figure($"Inspection: {name}", panels, 2, 320, 300);
        }
        var example = report.Successes.Length > 0 ? report.Successes[0] : report.Failures[0];
        panels.Add(ImagePanels.Input($"input: item {example.Id}, class {example.TrueClass}", input));
        // In the network's (PyTorch's) order: TorchSharp's named_modules() lists all children before any grandchild.
        foreach (var layer in model.LayerNames)
        {
            if (model.Layer(layer) is not Convolution) continue;
            using var activation = LayerActivations.Capture(model, input, layer);
            bool channelStrips = activation.dim() < 3;
            panels.Add(ImagePanels.Grid($"{layer} activations {string.Join("x", activation.shape)}",
                LayerActivations.Render(activation, InspectionGrid(channelStrips)), "activation, scaled per channel", channelStrips));
        }
        return new Figure($"Inspection: {name}", panels, 5, 300, 300);
    }

    private static Figure Examples(ExperimentData e, string hash, ClassificationReport report, string name)
    {
        var inputs = e.Npy(hash);
        var chosen = report.Successes.Select(x => (Example: x, Ok: true)).Concat(report.Failures.Select(x => (Example: x, Ok: false))).ToList();
        if (inputs.size(0) != chosen.Count)
            throw new InvalidDataException($"run {name}: {inputs.size(0)} stored example inputs for {chosen.Count} successes and failures");
        var labels = ClassLabels(report);
        var panels = chosen.Select((c, i) => ImagePanels.Input(
            $"{(c.Ok ? "success" : "failure")}: {labels[c.Example.TrueClass]} -> {labels[c.Example.PredictedClass]} p={Format.Fixed(c.Example.Confidence, 2)}",
            inputs[i])).ToList();
        bool image = inputs.dim() == 4;
        return new Figure($"Successes and failures: {name}", panels, Math.Max(1, report.Successes.Length), image ? 200 : 280, image ? 220 : 200);
    }
}
