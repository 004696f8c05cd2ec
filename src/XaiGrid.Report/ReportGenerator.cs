using XaiGrid.Report.Data;
using XaiGrid.Report.Figures;
using XaiGrid.Report.Output;
using XaiGrid.Report.Tables;
using XaiGrid.Store;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Report;

/// <summary>What the report is written as: Markdown (report.md, tables/*.md, figures/*.png), one self-contained HTML page, CSV tables.</summary>
[Flags]
public enum ReportFormats
{
    Markdown = 1,
    Html = 2,
    Csv = 4,
    All = Markdown | Html | Csv,
}

/// <summary>A figure of the report: its PNG (relative to the output folder) and layout, or the note that stands in for it.</summary>
public sealed record ReportFigure(string Experiment, string Group, string Caption, string? File, int Panels, int Columns, int PanelWidth,
    int PanelHeight, string? Note);

/// <summary>The files a report wrote (relative to <see cref="OutDir"/>, sorted) and its figures in report order.</summary>
public sealed record ReportResult(string OutDir, IReadOnlyList<string> Files, IReadOnlyList<ReportFigure> Figures);

/// <summary>
/// Writes a report of every experiment in a result store, reading the store alone (opened read-only): tables of
/// training, classification, faithfulness, influence and compression results, and figures drawn from stored
/// artifacts. Cells that are pending or failed appear as such wherever they would have a value. The same store
/// always gives byte-identical Markdown and CSV: rows are sorted, numbers formatted with the invariant culture, and
/// nothing depends on the time or the machine.
/// </summary>
public static class ReportGenerator
{
    public const string MarkdownFile = "report.md", HtmlFile = "report.html", TablesFolder = "tables", FiguresFolder = "figures";

    /// <summary>Parses "md,html,csv" (any subset, any order; "markdown" is "md").</summary>
    public static ReportFormats ParseFormats(string text)
    {
        ReportFormats formats = 0;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            formats |= part.ToLowerInvariant() switch
            {
                "md" or "markdown" => ReportFormats.Markdown,
                "html" => ReportFormats.Html,
                "csv" => ReportFormats.Csv,
                _ => throw new ArgumentException($"unknown report format '{part}'; allowed: md, html, csv (comma-separated)"),
            };
        }
        return formats != 0 ? formats : throw new ArgumentException("no report format given; allowed: md, html, csv (comma-separated)");
    }

    public static ReportResult Generate(string dbPath, string outDir, ReportFormats formats = ReportFormats.All)
    {
        if (!File.Exists(dbPath)) throw new FileNotFoundException($"result database not found: {dbPath}", dbPath);
        using var store = ResultStore.OpenReadOnly(dbPath);
        var experiments = ExperimentData.Load(store);
        var root = Path.GetFullPath(outDir);
        Directory.CreateDirectory(root);
        var written = new List<string>();
        void Write(string relative, string text)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
            written.Add(relative);
        }

        var sections = experiments.Select(e => new ReportSection(e, Tables(e).ToList(), [])).ToList();
        if ((formats & (ReportFormats.Markdown | ReportFormats.Html)) != 0)
        {
            Directory.CreateDirectory(Path.Combine(root, FiguresFolder));
            foreach (var section in sections)
            {
                foreach (var spec in ModelFigures.Build(section.Data).Concat(ExplanationFigures.Build(section.Data)))
                {
                    var figure = Render(section.Data, spec, root);
                    if (figure.File is not null) written.Add(figure.File);
                    section.Figures.Add(figure);
                }
            }
        }

        if ((formats & ReportFormats.Markdown) != 0) Write(MarkdownFile, MarkdownReport.Write(sections));
        if ((formats & ReportFormats.Html) != 0) Write(HtmlFile, HtmlReport.Write(sections, root));
        foreach (var (concept, table) in Combined(sections))
        {
            if ((formats & ReportFormats.Csv) != 0) Write(Path.Combine(TablesFolder, concept + ".csv"), table.ToCsv());
            if ((formats & ReportFormats.Markdown) != 0) Write(Path.Combine(TablesFolder, concept + ".md"), MarkdownReport.Standalone(table));
        }
        RemoveStale(root, written);
        return new ReportResult(root, written.Order(StringComparer.Ordinal).ToList(), sections.SelectMany(s => s.Figures).ToList());
    }

    private static IEnumerable<Table> Tables(ExperimentData e) =>
        new[] { StatusTable(e) }.Concat(TrainingTables.Build(e)).Concat(ExplanationTables.Build(e).OfType<Table>());

    private static Table StatusTable(ExperimentData e)
    {
        var s = e.Status;
        var rows = s.Stages.Select(x => (IReadOnlyList<string>)[x.Stage, .. new[] { x.Pending, x.Running, x.Done, x.Failed }.Select(Format.Integer)])
            .Append(["all", .. new[] { s.Cells.Pending, s.Cells.Running, s.Cells.Done, s.Cells.Failed }.Select(Format.Integer)]).ToList();
        return new Table("cells", "Cells by stage and state", ["stage", "pending", "running", "done", "failed"], rows);
    }

    /// <summary>
    /// One table per concept over all experiments, each row led by its experiment's name. Experiments can differ in
    /// columns (their varying hyperparameters): the combined table has every column, "-" where a row has none.
    /// </summary>
    private static IEnumerable<(string Concept, Table Table)> Combined(List<ReportSection> sections) =>
        sections.SelectMany(s => s.Tables.Select(t => t.WithFirstColumn("experiment", s.Data.Experiment.Name)))
            .GroupBy(t => t.Concept).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var columns = g.SelectMany(t => t.Columns).Distinct().ToList();
                var rows = g.SelectMany(t => t.Rows.Select(r => (IReadOnlyList<string>)columns
                    .Select(c => t.Columns.ToList().IndexOf(c) is var i and >= 0 ? r[i] : "-").ToList())).ToList();
                return (g.Key, g.First() with { Columns = columns, Rows = rows });
            });

    private static ReportFigure Render(ExperimentData e, FigureSpec spec, string root)
    {
        if (spec.Build is null)
            return new ReportFigure(e.Experiment.Name, spec.Group, spec.Caption, null, 0, 0, 0, 0, spec.Note);
        var relative = Path.Combine(FiguresFolder, spec.Name + ".png");
        using var scope = torch.NewDisposeScope();
        using var figure = spec.Build();
        figure.Save(Path.Combine(root, relative));
        return new ReportFigure(e.Experiment.Name, spec.Group, spec.Caption, relative, figure.Panels, figure.Columns, figure.PanelWidth,
            figure.PanelHeight, null);
    }

    /// <summary>Files a previous report left in our own folders (figures/, tables/) that this one did not write.</summary>
    private static void RemoveStale(string root, List<string> written)
    {
        var keep = written.Select(w => Path.GetFullPath(Path.Combine(root, w))).ToHashSet();
        foreach (var (folder, patterns) in new[] { (FiguresFolder, new[] { "*.png" }), (TablesFolder, new[] { "*.csv", "*.md" }) })
        {
            var path = Path.Combine(root, folder);
            if (!Directory.Exists(path)) continue;
            foreach (var file in patterns.SelectMany(p => Directory.EnumerateFiles(path, p)))
                if (!keep.Contains(Path.GetFullPath(file))) File.Delete(file);
        }
    }
}

/// <summary>One experiment's part of the report: its tables, and its figures once drawn.</summary>
internal sealed record ReportSection(ExperimentData Data, List<Table> Tables, List<ReportFigure> Figures);
