using System.Globalization;
using System.Runtime.CompilerServices;
using XaiGrid.Models.Metrics;
using XaiGrid.Report.Data;

namespace XaiGrid.Report.Tables;

/// <summary>Tables of the train cells: every run, the sweep over hyperparameter points, and classification metrics.</summary>
internal static class TrainingTables
{
    public static IEnumerable<Table> Build(ExperimentData e)
    {
        var runs = e.OfKind("train").Order(e.Runs.Order).ToList();
        if (runs.Count == 0) yield break;
        yield return Runs(e, runs);
        yield return Sweep(e, runs);
        yield return Classification(e, runs);
        yield return PerClass(e, runs);
    }

    private static readonly ConditionalWeakTable<CellView, ClassificationReport> Reports = new();

    /// <summary>The classification report of a done train cell, parsed once (tables and figures all read it).</summary>
    public static ClassificationReport Report(CellView train) =>
        Reports.GetValue(train, t => ClassificationReport.FromJson(t.Table("classification")));

    /// <summary>"3", or "3 cat" when the class has a name other than its index.</summary>
    public static string ClassLabel(IReadOnlyList<string>? names, int c)
    {
        var index = c.ToString(CultureInfo.InvariantCulture);
        return names is not null && c < names.Count && names[c] != index ? $"{index} {names[c]}" : index;
    }

    private static string[] Hyperparameters(ExperimentData e, CellView run) =>
        e.Runs.Varying.Select(k => Format.Value(RunNames.Training(run)[k])).ToArray();

    private static Table Runs(ExperimentData e, List<CellView> runs)
    {
        var rows = runs.Select(r => (IReadOnlyList<string>)
        [
            RunNames.Arch(r), RunNames.Data(r), .. Hyperparameters(e, r), Format.Value(RunNames.Training(r)["seed"]),
            .. r.Done
                ? new[] { Format.Fixed(r.Scalar("test_accuracy"), 4), Format.Fixed(r.Scalar("best_test_accuracy"), 4), Format.Integer(r.Scalar("best_epoch")) }
                : r.Missing(3),
            r.Key[..12],
        ]).ToList();
        return new Table("runs", "Training runs",
            ["arch", "data", .. e.Runs.Varying, "seed", "test accuracy", "best test accuracy", "best epoch", "cell"], rows,
            "Test accuracy at the end of training; the best one over the evaluated epochs beside it.");
    }

    private static Table Sweep(ExperimentData e, List<CellView> runs)
    {
        var points = runs.GroupBy(r => (RunNames.Arch(r), RunNames.Data(r), e.Runs.Point(r))).ToList();
        var stats = points.Select(p =>
        {
            var accuracies = p.Where(r => r.Done).Select(r => r.Scalar("test_accuracy")).ToList();
            return (Mean: accuracies.Count > 0 ? accuracies.Average() : (double?)null, Accuracies: accuracies);
        }).ToList();
        // The best point is marked among those of the same architecture and data: a sweep compares like with like.
        var best = new HashSet<int>();
        foreach (var group in Enumerable.Range(0, points.Count).Where(i => stats[i].Mean is not null)
                     .GroupBy(i => (points[i].Key.Item1, points[i].Key.Item2)))
            best.Add(group.OrderByDescending(i => stats[i].Mean!.Value).ThenBy(i => i).First());

        var rows = points.Select((p, i) =>
        {
            var first = p.First();
            var state = Format.GroupState(p.Select(r => r.Record));
            var (mean, accuracies) = stats[i];
            // The runs column gives the full state; with no run done the values say it in one word.
            string none = Format.Short(p.Select(r => r.Record));
            string meanText = mean is { } m ? Format.Fixed(m, 4) : none;
            string stdText = accuracies.Count >= 2 ? Format.Fixed(SampleStd(accuracies), 4) : mean is null ? none : "-";
            return (IReadOnlyList<string>)
            [
                RunNames.Arch(first), RunNames.Data(first), .. Hyperparameters(e, first),
                string.Join(" ", p.Select(r => Format.Value(RunNames.Training(r)["seed"]))),
                meanText, stdText, state ?? $"{p.Count()} done", best.Contains(i) ? Marks.Best : "",
            ];
        }).ToList();
        return new Table("sweep", "Hyperparameter sweep",
            ["arch", "data", .. e.Runs.Varying, "seeds", "test accuracy mean", "std", "runs", ""], rows,
            "Mean and sample standard deviation (n - 1) of the test accuracy over seeds, over the runs that are done; " +
            "\"best\" marks the highest mean per architecture and data.");
    }

    private static double SampleStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static Table Classification(ExperimentData e, List<CellView> runs)
    {
        var rows = runs.Select(r =>
        {
            if (!r.Done) return (IReadOnlyList<string>)[e.Runs.Name(r.Key), .. r.Missing(9)];
            var report = Report(r);
            var confused = report.MostConfused is { } m
                ? $"{ClassLabel(report.ClassNames, m.True)} -> {ClassLabel(report.ClassNames, m.Predicted)} ({m.Count})" : "none";
            return (IReadOnlyList<string>)
            [
                e.Runs.Name(r.Key), Format.Fixed(report.Accuracy, 4),
                Format.Fixed(report.MacroPrecision, 4), Format.Fixed(report.MacroRecall, 4), Format.Fixed(report.MacroF1, 4),
                Format.Fixed(report.WeightedPrecision, 4), Format.Fixed(report.WeightedRecall, 4), Format.Fixed(report.WeightedF1, 4),
                confused, Format.Integer(report.NumSamples),
            ];
        }).ToList();
        return new Table("classification", "Classification metrics (test set)",
            ["run", "accuracy", "macro precision", "macro recall", "macro F1", "weighted precision", "weighted recall",
                "weighted F1", "most confused (true -> predicted)", "samples"], rows);
    }

    private static Table PerClass(ExperimentData e, List<CellView> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs)
        {
            if (!r.Done)
            {
                rows.Add([e.Runs.Name(r.Key), "all", .. r.Missing(5)]);
                continue;
            }
            var report = Report(r);
            for (int c = 0; c < report.NumClasses; c++)
                rows.Add([
                    e.Runs.Name(r.Key), ClassLabel(report.ClassNames, c), Format.Fixed(report.PerClassAccuracy.Accuracy[c], 4),
                    Format.Fixed(report.Precision[c], 4), Format.Fixed(report.Recall[c], 4), Format.Fixed(report.F1[c], 4),
                    Format.Integer(report.PerClassAccuracy.Support[c]),
                ]);
        }
        return new Table("per_class", "Per-class metrics (test set)",
            ["run", "class", "accuracy", "precision", "recall", "F1", "support"], rows);
    }
}
