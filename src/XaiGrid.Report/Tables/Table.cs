using System.Net;
using System.Text;

namespace XaiGrid.Report.Tables;

/// <summary>
/// One report table: <see cref="Concept"/> names its file (tables/&lt;concept&gt;.csv and .md), the rows are already
/// sorted and every cell is already text (numbers formatted, states spelled out), so each output writes it as is.
/// </summary>
internal sealed record Table(string Concept, string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows,
    string? Note = null)
{
    public Table WithFirstColumn(string column, string value) =>
        this with { Columns = [column, .. Columns], Rows = Rows.Select(r => (IReadOnlyList<string>)[value, .. r]).ToList() };

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", Columns.Select(Markdown.Escape)).Append(" |\n");
        text.Append('|').AppendJoin("|", Columns.Select(_ => " --- ")).Append("|\n");
        foreach (var row in Rows) text.Append("| ").AppendJoin(" | ", row.Select(Markdown.Escape)).Append(" |\n");
        return text.ToString();
    }

    /// <summary>RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; lines end in \n.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder();
        text.AppendJoin(",", Columns.Select(Csv)).Append('\n');
        foreach (var row in Rows) text.AppendJoin(",", row.Select(Csv)).Append('\n');
        return text.ToString();
    }

    public string ToHtml()
    {
        var text = new StringBuilder("<table>\n<thead><tr>");
        foreach (var c in Columns) text.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        text.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in Rows)
        {
            text.Append("<tr>");
            foreach (var cell in row)
            {
                string css = cell.StartsWith("failed", StringComparison.Ordinal) || cell.Contains(" failed", StringComparison.Ordinal) ? " class=\"failed\""
                    : cell is "pending" or "running" || cell.Contains(" pending", StringComparison.Ordinal) || cell.Contains(" running", StringComparison.Ordinal)
                        ? " class=\"pending\""
                    : cell == Marks.Best ? " class=\"best\"" : "";
                text.Append("<td").Append(css).Append('>').Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            }
            text.Append("</tr>\n");
        }
        return text.Append("</tbody>\n</table>\n").ToString();
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}

internal static class Marks
{
    /// <summary>The mark of the best row of a table (the sweep's best hyperparameter point).</summary>
    public const string Best = "best";
}

internal static class Markdown
{
    /// <summary>
    /// User text in Markdown, for table cells and inline text: the punctuation Markdown reads there is backslash-escaped
    /// and '&amp;' and '&lt;' become entities, so a class or method name can neither format the page nor open an HTML tag.
    /// </summary>
    public static string Escape(string text)
    {
        var s = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': s.Append("&amp;"); break;
                case '<': s.Append("&lt;"); break;
                case '\r': break;
                case '\n': s.Append(' '); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|':
                    s.Append('\\').Append(c);
                    break;
                default: s.Append(c); break;
            }
        }
        return s.ToString();
    }

    /// <summary>A fenced code block longer than any run of backticks inside <paramref name="text"/>.</summary>
    public static string Fence(string text, string language = "")
    {
        int longest = 0, run = 0;
        foreach (char c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}{language}\n{text.TrimEnd('\n')}\n{fence}\n";
    }
}
