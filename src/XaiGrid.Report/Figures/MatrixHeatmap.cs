using System.Globalization;
using ScottPlot;
using XaiGrid.Report.Data;

namespace XaiGrid.Report.Figures;

/// <summary>
/// A matrix as viridis-coloured cells, row 0 at the top, rows and columns labelled by name, a colour bar over
/// <see cref="Range"/>, and each cell annotated with its value (2 decimals) or with <see cref="CellText"/>, which wins;
/// NaN cells are gray. Annotations are left out when the cells are too many to read them.
/// </summary>
internal sealed record MatrixHeatmap(string Title, double[,] Values, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels,
    string XLabel, string YLabel, string ColorLabel)
{
    /// <summary>More rows or columns than this, and the cells are too small for their values.</summary>
    public const int MostAnnotated = 12;

    public (double Lo, double Hi) Range { get; init; } = (0, 1);

    /// <summary>Text shown in a cell instead of its value (null entries keep the value), e.g. a state for a missing cell.</summary>
    public string?[,]? CellText { get; init; }

    public Plot ToPlot()
    {
        int rows = Values.GetLength(0), columns = Values.GetLength(1);
        var plot = Charts.New(Title, XLabel, YLabel);
        var scale = new ColorScale(new ScottPlot.Colormaps.Viridis(), Range.Lo, Range.Hi);
        if (Values.Cast<double>().Any(double.IsFinite))
        {
            var heatmap = plot.Add.Heatmap(Values);
            heatmap.Colormap = scale.Colormap;
            heatmap.ManualRange = new ScottPlot.Range(Range.Lo, Range.Hi);
            heatmap.NaNCellColor = Charts.Missing;
        }
        else
        {
            // ScottPlot cannot make a heatmap without a single value (every cell pending or failed): gray cells instead.
            var missing = plot.Add.Rectangle(-0.5, columns - 0.5, -0.5, rows - 0.5);
            missing.FillColor = Charts.Missing;
            missing.LineWidth = 0;
        }
        Charts.ColorBar(plot, scale, ColorLabel);

        if (rows <= MostAnnotated && columns <= MostAnnotated)
        {
            float size = Math.Max(rows, columns) <= 5 ? Charts.LabelSize : Charts.TickSize - 1;
            for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                string text = CellText?[i, j] ?? (double.IsNaN(Values[i, j]) ? "" : Format.Fixed(Values[i, j], 2));
                if (text.Length == 0) continue;
                var label = plot.Add.Text(text, j, Y(i));
                label.LabelFontSize = size;
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = double.IsNaN(Values[i, j]) ? Charts.Ink : On(scale.ColorOf(Values[i, j]));
            }
        }

        var bottom = new ScottPlot.TickGenerators.NumericManual();
        for (int j = 0; j < columns; j++) bottom.AddMajor(j, ColumnLabels[j]);
        var left = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < rows; i++) left.AddMajor(Y(i), RowLabels[i]);
        plot.Axes.Bottom.TickGenerator = bottom;
        plot.Axes.Left.TickGenerator = left;
        plot.Axes.Bottom.MajorTickStyle.Length = plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        return plot;

        // ScottPlot puts row 0 of a heatmap at the top, at y = rows - 1.
        double Y(int row) => rows - 1 - row;
    }

    /// <summary>Dark text on light cells, white on dark ones.</summary>
    private static Color On(Color background) =>
        0.299 * background.R + 0.587 * background.G + 0.114 * background.B > 140 ? Charts.Ink : Colors.White;

    /// <summary>Integers as row or column labels, in the invariant culture.</summary>
    public static IReadOnlyList<string> Numbers(IEnumerable<int> values) => values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToList();
}
