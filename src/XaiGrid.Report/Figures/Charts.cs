using ScottPlot;
using SkiaSharp;

namespace XaiGrid.Report.Figures;

/// <summary>
/// What every chart of the report shares: a plot styled the same way (the embedded font, text sizes, grid), the
/// series colours, and text fitted to a width.
/// </summary>
internal static class Charts
{
    public const float TitleSize = 13, LabelSize = 12, TickSize = 10, LegendSize = 10;

    public static readonly Color Ink = Color.FromHex("#222222"), Muted = Color.FromHex("#777777"), Missing = Color.FromHex("#d0d0d0");

    /// <summary>Matplotlib's "tab10" cycle: distinct colours for up to ten series.</summary>
    private static readonly ScottPlot.Palettes.Category10 Cycle = new();

    public static Color Series(int i) => Cycle.GetColor(i);

    /// <summary>An empty plot with the report's style; empty axis labels take no room.</summary>
    public static Plot New(string title, string xLabel = "", string yLabel = "")
    {
        ReportFonts.Register();
        var plot = new Plot();
        plot.Title(title, TitleSize);
        plot.Axes.Title.Label.ForeColor = Ink;
        plot.XLabel(xLabel, LabelSize);
        plot.YLabel(yLabel, LabelSize);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.Bold = false;
            axis.Label.ForeColor = Ink;
            axis.TickLabelStyle.FontSize = TickSize;
            axis.TickLabelStyle.ForeColor = Ink;
            SparseTicks(axis);
        }
        plot.Grid.MajorLineColor = Color.FromHex("#e8e8e8");
        // The legend would otherwise look for a machine font that has every glyph of its text.
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.FontName = ReportFonts.Family;
        plot.Legend.IsVisible = false;
        return plot;
    }

    /// <summary>A panel that says why there is nothing to draw (a cell pending, failed, or without stored inputs).</summary>
    public static Plot Message(string title, string message)
    {
        var plot = New(title);
        HideAxes(plot);
        var text = plot.Add.Text(Wrap(message, 34), 0, 0);
        text.LabelFontSize = LabelSize;
        text.LabelFontColor = Muted;
        text.LabelAlignment = Alignment.MiddleCenter;
        text.LabelBackgroundColor = Missing.WithAlpha(0.35);
        text.LabelPadding = 8;
        plot.Axes.SetLimits(-1, 1, -1, 1);
        return plot;
    }

    /// <summary>A colour bar at the right of the plot, labelled.</summary>
    public static void ColorBar(Plot plot, IHasColorAxis source, string label)
    {
        var bar = plot.Add.ColorBar(source);
        bar.Label = label;
        bar.LabelStyle.FontSize = TickSize;
        bar.LabelStyle.Bold = false;
        bar.LabelStyle.ForeColor = Ink;
        bar.Width = 12;
        bar.Axis.TickLabelStyle.FontSize = TickSize - 1;
        SparseTicks(bar.Axis);
    }

    /// <summary>Half ScottPlot's default tick density: its default ticks a 0 .. 1 axis every 0.05, too many to read.</summary>
    public static void SparseTicks(IAxis axis)
    {
        if (axis.TickGenerator is ScottPlot.TickGenerators.NumericAutomatic automatic) automatic.TickDensity = 0.5;
    }

    /// <summary>Hides the axes, their frame and the grid, but not the title (ScottPlot's HideAxesAndGrid hides it too).</summary>
    public static void HideAxes(Plot plot)
    {
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left, plot.Axes.Right, plot.Axes.Top }) axis.IsVisible = false;
        plot.HideGrid();
    }

    /// <summary>The longest prefix of <paramref name="text"/> that fits in <paramref name="width"/> pixels, with an ellipsis when cut.</summary>
    public static string Fit(string text, float width, SKFont font)
    {
        if (font.MeasureText(text) <= width) return text;
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (font.MeasureText(text[..mid] + "…") <= width) lo = mid;
            else hi = mid - 1;
        }
        return lo == 0 ? "" : text[..lo] + "…";
    }

    /// <summary>Words joined into lines of at most <paramref name="columns"/> characters (a longer word keeps its own line).</summary>
    private static string Wrap(string text, int columns)
    {
        var lines = new List<string>();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lines.Count > 0 && lines[^1].Length + 1 + word.Length <= columns) lines[^1] += " " + word;
            else lines.Add(word);
        }
        return string.Join('\n', lines);
    }
}
