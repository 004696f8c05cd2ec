using ScottPlot;

namespace XaiGrid.Report.Figures;

/// <summary>One series of a grouped bar chart: a value per group (NaN: no bar).</summary>
internal sealed record BarSeries(string Label, IReadOnlyList<double> Values);

/// <summary>
/// Grouped bars: one group per category, labelled by name, one bar per series in each group in the tab10 colours, a
/// legend naming the series beside the plot (where it hides no bar), and each bar's value written at its end when
/// <see cref="ValueDecimals"/> is set. <see cref="Horizontal"/> bars run left to right with the groups listed top to
/// bottom, which suits long group names (methods with their parameters).
/// </summary>
internal sealed record BarChart(string Title, string CategoryLabel, string ValueLabel, IReadOnlyList<string> Groups, IReadOnlyList<BarSeries> Series)
{
    public (double Lo, double Hi)? ValueRange { get; init; }
    public int? ValueDecimals { get; init; }
    public bool Horizontal { get; init; }

    public Plot ToPlot()
    {
        var plot = Horizontal ? Charts.New(Title, ValueLabel, CategoryLabel) : Charts.New(Title, CategoryLabel, ValueLabel);
        // Bars of a group fill 80% of its unit width, centred on the group's position; the first series comes first
        // in reading order (left, or top).
        double width = 0.8 / Series.Count;
        double Position(int group, int series) => Horizontal
            ? Groups.Count - 1 - group + 0.4 - width * (series + 0.5)
            : group - 0.4 + width * (series + 0.5);
        for (int s = 0; s < Series.Count; s++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < Groups.Count; g++)
            {
                double value = Series[s].Values[g];
                if (!double.IsFinite(value)) continue;
                bars.Add(new Bar
                {
                    Position = Position(g, s),
                    Value = value,
                    Size = width * 0.92,
                    FillColor = Charts.Series(s),
                    LineWidth = 0,
                    Orientation = Horizontal ? Orientation.Horizontal : Orientation.Vertical,
                    Label = ValueDecimals is { } d ? Data.Format.Fixed(value, d) : "",
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.Horizontal = Horizontal;
            plottable.LegendText = Series[s].Label;
            plottable.ValueLabelStyle.FontSize = Charts.TickSize - 1;
            plottable.ValueLabelStyle.ForeColor = Charts.Ink;
        }

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int g = 0; g < Groups.Count; g++) ticks.AddMajor(Horizontal ? Groups.Count - 1 - g : g, Groups[g]);
        var categoryAxis = Horizontal ? (IAxis)plot.Axes.Left : plot.Axes.Bottom;
        categoryAxis.TickGenerator = ticks;
        categoryAxis.MajorTickStyle.Length = 0;
        categoryAxis.MinorTickStyle.Length = 0;

        var finite = Series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        var (lo, hi) = ValueRange ?? (Math.Min(0, finite.DefaultIfEmpty(0).Min()), finite.DefaultIfEmpty(1).Max() * 1.15);
        if (hi <= lo) hi = lo + 1;
        if (Horizontal) plot.Axes.SetLimits(lo, hi, -0.6, Groups.Count - 0.4);
        else plot.Axes.SetLimits(-0.6, Groups.Count - 0.4, lo, hi);
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
