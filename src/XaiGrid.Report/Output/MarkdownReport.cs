using System.Text;
using XaiGrid.Report.Tables;

namespace XaiGrid.Report.Output;

/// <summary>report.md: a section per experiment with its tables, its figures (linked PNGs) and its experiment file.</summary>
internal static class MarkdownReport
{
    public static string Write(IReadOnlyList<ReportSection> sections)
    {
        var md = new StringBuilder("# XaiGrid report\n\n");
        if (sections.Count == 0) md.Append("The result store holds no experiments.\n");
        md.Append("Tables are also in `tables/` as CSV; figures are in `figures/`.\n");
        foreach (var section in sections)
        {
            var e = section.Data.Experiment;
            md.Append("\n## Experiment ").Append(Markdown.Escape(e.Name)).Append("\n\n");
            md.Append("Experiment file: `").Append(Markdown.Escape(e.FilePath).Replace("`", "'")).Append("`\n");
            foreach (var table in section.Tables) md.Append('\n').Append(TableSection(table, "###"));
            if (section.Figures.Count > 0) md.Append("\n### Figures\n");
            foreach (var group in section.Figures.GroupBy(f => f.Group))
            {
                md.Append("\n#### ").Append(group.Key).Append('\n');
                foreach (var figure in group)
                {
                    md.Append('\n');
                    if (figure.File is { } file)
                        md.Append("![").Append(Markdown.Escape(figure.Caption)).Append("](").Append(file.Replace('\\', '/')).Append(")\n\n");
                    md.Append('*').Append(Markdown.Escape(figure.Caption)).Append('*');
                    if (figure.Note is { } note) md.Append(": ").Append(Markdown.Escape(note));
                    md.Append('\n');
                }
            }
            md.Append("\n### Experiment file\n\n").Append(Markdown.Fence(e.Definition, "yaml"));
        }
        return md.ToString();
    }

    /// <summary>tables/&lt;concept&gt;.md: one table on its own.</summary>
    public static string Standalone(Table table) => TableSection(table, "#");

    private static string TableSection(Table table, string heading)
    {
        var md = new StringBuilder($"{heading} {Markdown.Escape(table.Title)}\n\n");
        if (table.Note is { } note) md.Append(Markdown.Escape(note)).Append("\n\n");
        return md.Append(table.ToMarkdown()).ToString();
    }
}
