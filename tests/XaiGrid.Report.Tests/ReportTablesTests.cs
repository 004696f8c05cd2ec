using System.Globalization;
using System.Text.Json.Nodes;
using XaiGrid.Store;

namespace XaiGrid.Report.Tests;

/// <summary>The report's Markdown and CSV tables on the tiny experiment's stores, checked against the stored results.</summary>
[Collection(StoreCollection.Name)]
public sealed class ReportTablesTests(StoreFixture store)
{
    private static readonly string[] Concepts =
        ["cells", "classification", "compression", "faithfulness", "influence_class", "influence_instance", "per_class", "runs", "sanity_check", "sweep"];

    private static Dictionary<string, byte[]> TextFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".md", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    private static List<(CellRecord Cell, JsonObject Parameters, CellResults Results)> Stored(string db, string kind)
    {
        using var s = ResultStore.OpenReadOnly(db);
        return s.Cells().Where(c => c.Kind == kind)
            .Select(c => (c, JsonNode.Parse(c.Parameters)!.AsObject(), s.Results(c.Key))).ToList();
    }

    [Fact]
    public void MarkdownAndCsvRegenerateByteIdenticalAfterTheFolderIsDeleted()
    {
        var output = store.NewOutput();
        var first = ReportGenerator.Generate(store.Db, output);
        var before = TextFiles(output);
        Assert.Equal(Concepts.SelectMany(c => new[] { $"tables/{c}.csv", $"tables/{c}.md" }).Append("report.md").Order(),
            before.Keys.Select(k => k.Replace('\\', '/')).Order());

        Directory.Delete(output, recursive: true);
        var second = ReportGenerator.Generate(store.Db, output);
        var after = TextFiles(output);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[file]), $"{file} changed between two reports of one store");
        Assert.Equal(first.Files, second.Files);

        // Nothing depends on where the store or the report lives.
        var copy = Path.Combine(store.Folder, "copy-of-tiny.db");
        File.Copy(store.Db, copy, overwrite: true);
        var elsewhere = store.NewOutput();
        ReportGenerator.Generate(copy, elsewhere, ReportFormats.Markdown | ReportFormats.Csv);
        var moved = TextFiles(elsewhere);
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(moved[file]), $"{file} differs for a copy of the store");
    }

    [Fact]
    public void SweepHasMeanAndSampleStdOverSeedsAndMarksTheBestPoint()
    {
        var output = store.NewOutput();
        ReportGenerator.Generate(store.Db, output, ReportFormats.Csv);
        var rows = Csv.Read(Path.Combine(output, "tables", "sweep.csv"));

        var points = Stored(store.Db, "train")
            .GroupBy(t => (Lr: t.Parameters["training"]!["lr"]!.GetValue<double>(), Steps: t.Parameters["training"]!["steps"]!.GetValue<long>()))
            .ToDictionary(g => g.Key, g => g.Select(t => t.Results.Scalars["test_accuracy"]).ToList());
        Assert.Equal(3, points.Count);
        Assert.Equal(points.Count, rows.Count);
        foreach (var ((lr, steps), accuracies) in points)
        {
            var row = rows.Single(r => double.Parse(r["lr"], CultureInfo.InvariantCulture) == lr && r["steps"] == steps.ToString(CultureInfo.InvariantCulture));
            double mean = accuracies.Sum() / accuracies.Count;
            Assert.Equal(F(mean, 4), row["test accuracy mean"]);
            Assert.Equal(accuracies.Count == 2 ? F(Math.Abs(accuracies[0] - accuracies[1]) / Math.Sqrt(2), 4) : "-", row["std"]);
            Assert.Equal($"{accuracies.Count} done", row["runs"]);
            Assert.Equal(accuracies.Count == 2 ? "0 1" : "0", row["seeds"]);
        }
        var best = points.MaxBy(p => p.Value.Average()).Key;
        var marked = rows.Single(r => r[""] == "best");
        Assert.Equal((best.Lr, best.Steps.ToString(CultureInfo.InvariantCulture)), (double.Parse(marked["lr"], CultureInfo.InvariantCulture), marked["steps"]));
    }

    [Fact]
    public void ClassificationAndFaithfulnessValuesAreTheStoredOnes()
    {
        var output = store.NewOutput();
        ReportGenerator.Generate(store.Db, output, ReportFormats.Csv);

        var accuracies = Stored(store.Db, "train").Select(t => F(t.Results.Scalars["test_accuracy"], 4)).Order().ToList();
        Assert.Equal(accuracies, Csv.Read(Path.Combine(output, "tables", "classification.csv")).Select(r => r["accuracy"]).Order());

        var faithfulness = Csv.Read(Path.Combine(output, "tables", "faithfulness.csv"));
        Assert.Equal(StoreFixture.Methods, faithfulness.Count);
        Assert.Equal(Stored(store.Db, "drop-increase").Select(m => F(m.Results.Scalars["drop_pct"], 2)).Order(), faithfulness.Select(r => r["Drop%"]).Order());
        Assert.Equal(Stored(store.Db, "drop-increase").Select(m => F(m.Results.Scalars["increase_pct"], 2)).Order(), faithfulness.Select(r => r["Increase%"]).Order());
        foreach (var kind in new[] { "insertion", "deletion" })
        {
            Assert.Equal(Stored(store.Db, kind).Select(m => F(m.Results.Scalars["auc"], 4)).Order(), faithfulness.Select(r => r[$"{kind} AUC"]).Order());
            Assert.All(faithfulness, r => Assert.Equal(StoreFixture.ExplainedItems.ToString(CultureInfo.InvariantCulture), r[$"{kind} items"]));
        }
        Assert.All(faithfulness, r => Assert.Equal("8", r["drop/increase items"]));

        // Per-instance influence: the first report.examples items, each with five ranked channels.
        var instances = Csv.Read(Path.Combine(output, "tables", "influence_instance.csv"));
        Assert.Equal(["0", "1", "2"], instances.Select(r => r["item"]));
        Assert.All(instances, r => Assert.Matches(@"^\d+ \(-?\d+\.\d{4}\)$", r["#5"]));
    }

    [Fact]
    public void CompressionShowsTheBestGridPointBesideTheOriginalRecall()
    {
        var output = store.NewOutput();
        ReportGenerator.Generate(store.Db, output, ReportFormats.Csv);
        var rows = Csv.Read(Path.Combine(output, "tables", "compression.csv"));

        foreach (var grid in Stored(store.Db, "compression-point").Where(p => p.Parameters["layer"]!.GetValue<string>() == "conv2")
                     .GroupBy(p => p.Parameters["class"]!.GetValue<int>()))
        {
            Assert.Equal(4, grid.Count());
            var best = grid.OrderByDescending(p => p.Results.Scalars["recall"]).ThenByDescending(p => p.Results.Scalars["precision"])
                .ThenBy(p => p.Results.Scalars["channels"]).First();
            var row = rows.Single(r => r["layer"] == "conv2" && r["class"] == grid.Key.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(best.Parameters["top"]!.ToJsonString(), row["top"]);
            Assert.Equal(best.Parameters["bottom"]!.ToJsonString(), row["bottom"]);
            Assert.Equal(F(best.Results.Scalars["recall"], 4), row["recall"]);
            Assert.Equal(F(best.Results.Scalars["precision"], 4), row["precision"]);
            Assert.Equal(F(best.Results.Scalars["original_recall"], 4), row["original recall"]);
            Assert.Equal("4 done", row["grid points"]);
        }
    }

    [Fact]
    public void FailedAndPendingCellsAreMarkedInEveryTableTheyTouch()
    {
        var output = store.NewOutput();
        ReportGenerator.Generate(store.MixedDb, output, ReportFormats.Csv | ReportFormats.Markdown);
        string Table(string concept) => Path.Combine(output, "tables", concept + ".csv");

        // The compression job at conv9: its influence partials failed, and the merge and the grid point with them.
        var compression = Csv.Read(Table("compression")).Single(r => r["layer"] == "conv9");
        Assert.StartsWith("1 failed: not run: it depends on merge-influence cell ", compression["grid points"]);
        Assert.All(["top", "bottom", "recall", "precision", "original recall"], column => Assert.Equal("failed", compression[column]));
        var influence = Csv.Read(Table("influence_class")).Single(r => r["layer"] == "conv9");
        Assert.StartsWith("failed: not run: it depends on influence-partial cell ", influence["#1"]);
        Assert.Equal("failed", influence["#5"]);

        // The third seed was planned and not run.
        var runs = Csv.Read(Table("runs"));
        Assert.Equal(2, runs.Count(r => r["seed"] == "2"));
        Assert.All(runs.Where(r => r["seed"] == "2"), r => Assert.Equal(["pending", "pending", "pending"], [r["test accuracy"], r["best test accuracy"], r["best epoch"]]));
        var sweep = Csv.Read(Table("sweep")).Where(r => r["steps"] == "100").ToList();
        Assert.Equal(2, sweep.Count);
        Assert.All(sweep, r => Assert.Equal(("0 1 2", "2 done, 1 pending"), (r["seeds"], r["runs"])));
        Assert.Equal(2, Csv.Read(Table("classification")).Count(r => r["accuracy"] == "pending"));

        // The sixth method: its maps and metrics are pending; the five others keep their values.
        var faithfulness = Csv.Read(Table("faithfulness"));
        var added = faithfulness.Single(r => r["method"] == "gradcam layer=conv2");
        Assert.All(["Drop%", "Increase%", "insertion AUC", "deletion AUC"], column => Assert.Equal("pending", added[column]));
        Assert.All(faithfulness.Where(r => r != added), r => Assert.Matches(@"^\d+\.\d{2}$", r["Drop%"]));

        using (var s = ResultStore.OpenReadOnly(store.MixedDb))
        {
            var status = s.Status();
            var all = Csv.Read(Table("cells")).Single(r => r["stage"] == "all");
            Assert.Equal((status.Cells.Pending.ToString(CultureInfo.InvariantCulture), "4"), (all["pending"], all["failed"]));
            Assert.True(status.Cells.Pending > 0);
        }

        var markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("*Run mnist1d-cnn mnist1d lr=0.01 steps=100 seed=2*: pending", markdown);
        Assert.Contains("| failed: not run: it depends on", markdown);
    }

    [Fact]
    public void UserTextIsEscapedInMarkdownAndHtml()
    {
        var output = store.NewOutput();
        ReportGenerator.Generate(store.Db, output, ReportFormats.Markdown | ReportFormats.Html | ReportFormats.Csv);
        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("<h2>Experiment tiny &lt;i&gt;report&lt;/i&gt; &amp; co</h2>", html);
        Assert.DoesNotContain("<i>", html);

        // The experiment file is quoted verbatim in a code block at the end; everything before it is escaped.
        var markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        var prose = markdown[..markdown.IndexOf("### Experiment file", StringComparison.Ordinal)];
        Assert.Contains("## Experiment tiny &lt;i>report&lt;/i> &amp; co", prose);
        Assert.DoesNotContain("<i>", prose);

        Assert.All(Csv.Read(Path.Combine(output, "tables", "runs.csv")), r => Assert.Equal(StoreFixture.Name, r["experiment"]));
    }
}
