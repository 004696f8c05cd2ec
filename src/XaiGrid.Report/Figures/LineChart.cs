using ScottPlot;

namespace XaiGrid.Report.Figures;

/// <summary>One line of a chart; points with a non-finite coordinate are left out.</summary>
internal sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A line chart: any number of series in the tab10 colours, axis labels, fixed axis ranges when given, an optional
/// dashed reference segment (the ROC diagonal), categorical x ticks, and a legend at <see cref="Legend"/> (none when
/// null or when no series has a label).
/// </summary>
internal sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Lines)
{
    public (double Lo, double Hi)? XRange { get; init; }
    public (double Lo, double Hi)? YRange { get; init; }

    /// <summary>Names of the x positions 0 .. n-1, instead of numeric ticks.</summary>
    public IReadOnlyList<string>? XCategories { get; init; }

    /// <summary>A reference segment (x0, y0) - (x1, y1) in data coordinates.</summary>
    public (double X0, double Y0, double X1, double Y1)? Reference { get; init; }

    public Alignment? Legend { get; init; } = Alignment.UpperRight;

    public bool Markers { get; init; }

    public Plot ToPlot()
    {
        var plot = Charts.New(Title, XLabel, YLabel);
        if (Reference is { } r)
        {
            var diagonal = plot.Add.Line(r.X0, r.Y0, r.X1, r.Y1);
            diagonal.LineColor = Charts.Muted;
            diagonal.LinePattern = LinePattern.Dashed;
            diagonal.LineWidth = 1;
        }
        for (int i = 0; i < Lines.Count; i++)
        {
            var s = Lines[i];
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            var line = plot.Add.ScatterLine(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray(), Charts.Series(i));
            line.LineWidth = 2;
            line.MarkerSize = Markers ? 5 : 0;
            line.LegendText = s.Label;
        }
        if (XCategories is { } names)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (int i = 0; i < names.Count; i++) ticks.AddMajor(i, names[i]);
            plot.Axes.Bottom.TickGenerator = ticks;
            plot.Axes.SetLimitsX(-0.5, names.Count - 0.5);
        }
        if (XRange is { } x) plot.Axes.SetLimitsX(x.Lo, x.Hi);
        if (YRange is { } y) plot.Axes.SetLimitsY(y.Lo, y.Hi);
        if (Legend is { } corner && Lines.Any(s => s.Label.Length > 0))
        {
            plot.Legend.IsVisible = true;
            plot.Legend.Alignment = corner;
        }
        return plot;
    }
}
