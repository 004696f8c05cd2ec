using System.Net;
using System.Text;

namespace XaiGrid.Report.Output;

/// <summary>
/// report.html: one self-contained page (figures as base64 data URIs, inline CSS, no script, nothing fetched) with a
/// section per experiment. Every text from the store goes through <see cref="Escape"/>.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 24px 48px; color: #222; }
        h1 { margin: 24px 0 8px; }
        h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 40px; }
        h3 { margin-top: 28px; }
        nav a { margin-right: 16px; }
        p.note { color: #555; font-size: 0.9em; max-width: 960px; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        td.failed { color: #b00020; background: #fdecee; }
        td.pending { color: #8a6100; background: #fff6dc; }
        td.best { font-weight: bold; color: #1b5e20; background: #e8f5e9; }
        figure { margin: 16px 0; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { color: #444; font-size: 0.9em; margin-top: 4px; max-width: 960px; }
        .missing { color: #8a6100; }
        pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 0.85em; }
        """;

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public static string Write(IReadOnlyList<ReportSection> sections, string root)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            // An empty icon: without it a browser asks for /favicon.ico, which fails for a file opened from disk.
            .Append("<link rel=\"icon\" href=\"data:,\">\n<title>XaiGrid report</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>XaiGrid report</h1>\n");
        if (sections.Count == 0) html.Append("<p>The result store holds no experiments.</p>\n");
        else
        {
            html.Append("<nav>");
            foreach (var s in sections)
                html.Append($"<a href=\"#experiment-{s.Data.Experiment.Id}\">").Append(Escape(s.Data.Experiment.Name)).Append("</a>");
            html.Append("</nav>\n");
        }
        foreach (var section in sections) Section(html, section, root);
        return html.Append("</body>\n</html>\n").ToString();
    }

    private static void Section(StringBuilder html, ReportSection section, string root)
    {
        var e = section.Data.Experiment;
        html.Append($"<section id=\"experiment-{e.Id}\">\n<h2>Experiment ").Append(Escape(e.Name)).Append("</h2>\n")
            .Append("<p class=\"note\">Experiment file: <code>").Append(Escape(e.FilePath)).Append("</code></p>\n");
        foreach (var table in section.Tables)
        {
            html.Append("<h3>").Append(Escape(table.Title)).Append("</h3>\n");
            if (table.Note is { } note) html.Append("<p class=\"note\">").Append(Escape(note)).Append("</p>\n");
            html.Append("<div class=\"scroll\">\n").Append(table.ToHtml()).Append("</div>\n");
        }
        foreach (var group in section.Figures.GroupBy(f => f.Group))
        {
            html.Append("<h3>Figures: ").Append(Escape(group.Key)).Append("</h3>\n");
            foreach (var figure in group)
            {
                if (figure.File is { } file)
                {
                    var bytes = File.ReadAllBytes(Path.Combine(root, file));
                    var (width, height) = PngSize(bytes);
                    html.Append("<figure><img alt=\"").Append(Escape(figure.Caption)).Append($"\" width=\"{width}\" height=\"{height}\" src=\"data:image/png;base64,")
                        .Append(Convert.ToBase64String(bytes)).Append("\"><figcaption>").Append(Escape(figure.Caption)).Append("</figcaption></figure>\n");
                }
                else
                {
                    html.Append("<p class=\"missing\">").Append(Escape(figure.Caption)).Append(": ").Append(Escape(figure.Note ?? "")).Append("</p>\n");
                }
            }
        }
        html.Append("<details><summary>Experiment file</summary>\n<pre>").Append(Escape(e.Definition)).Append("</pre>\n</details>\n</section>\n");
    }

    /// <summary>Width and height from a PNG's IHDR chunk (big-endian at bytes 16 and 20).</summary>
    private static (int Width, int Height) PngSize(byte[] png)
    {
        if (png.Length < 24 || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R')
            throw new InvalidDataException("a report figure is not a PNG file");
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
