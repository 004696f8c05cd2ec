using XaiGrid.Report.Data;
using XaiGrid.Torch;
using draw = XaiGrid.Torch.torch.vision.draw;

namespace XaiGrid.Report.Figures;

/// <summary>
/// The one heatmap of the report: a matrix of viridis-colored cells with row and column labels, each cell annotated with
/// its value (2 decimals) when it fits, or with <see cref="CellText"/>, which wins. NaN cells are gray. Colors span
/// <see cref="Range"/>, or the values' own range.
/// </summary>
internal sealed class Heatmap(string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels,
    string xLabel, string yLabel) : IPanel
{
    public (double Lo, double Hi)? Range { get; init; }

    /// <summary>Text shown in a cell instead of its value (null entries keep the value), e.g. a state for a missing cell.</summary>
    public string?[,]? CellText { get; init; }

    public void Draw(Tensor canvas, Rect area)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        Panels.Title(canvas, area, title);
        var flat = values.Cast<double>().ToList();
        var finite = flat.Where(double.IsFinite).ToList();
        var (lo, hi) = Range ?? (finite.Count > 0 ? (finite.Min(), finite.Max()) : (0, 1));
        var colors = Paint.Colormap(flat, lo, hi, torch.vision.Colormap.Viridis);

        int labelBand = yLabel.Length > 0 ? 16 : 0;
        int rowLabelWidth = rowLabels.Count > 0 ? rowLabels.Max(l => Paint.TextWidth(l, Paint.TickText)) : 0;
        int left = area.X + labelBand + rowLabelWidth + 6, top = area.Y + Panels.TitleBand + 2;
        int right = area.Right - 4, bottom = area.Bottom - (xLabel.Length > 0 ? 16 : 0) - 14;
        double cw = (double)(right - left) / columns, ch = (double)(bottom - top) / rows;
        int X(int j) => left + (int)Math.Round(j * cw);
        int Y(int i) => top + (int)Math.Round(i * ch);

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                int x0 = X(j), y0 = Y(i), w = X(j + 1) - x0, h = Y(i + 1) - y0;
                if (w <= 0 || h <= 0) continue;
                var color = colors[i * columns + j];
                draw.rectangle(canvas, x0, y0, w, h, color, fill: true);
                var text = CellText?[i, j] ?? (double.IsNaN(values[i, j]) ? "" : Format.Fixed(values[i, j], 2));
                if (text.Length > 0 && h >= 10 && Paint.TextWidth(text, Paint.TickText) <= w - 2)
                    Paint.Text(canvas, text, x0 + w / 2, y0 + h / 2, Paint.TickText, Paint.On(color), Align.Center, middle: true);
            }
        }
        draw.rectangle(canvas, left, top, X(columns) - left, Y(rows) - top, Paint.Frame);

        // Labels that would overlap are thinned to every k-th one.
        int columnStride = Stride(columnLabels.Select(l => Paint.TextWidth(l, Paint.TickText) + 4), cw);
        for (int j = 0; j < columns && j < columnLabels.Count; j += columnStride)
            Paint.Text(canvas, columnLabels[j], (X(j) + X(j + 1)) / 2, bottom + 11, Paint.TickText, Paint.Ink, Align.Center);
        int rowStride = Stride(rowLabels.Select(_ => 11), ch);
        for (int i = 0; i < rows && i < rowLabels.Count; i += rowStride)
            Paint.Text(canvas, rowLabels[i], left - 4, (Y(i) + Y(i + 1)) / 2, Paint.TickText, Paint.Ink, Align.Right, middle: true);

        if (xLabel.Length > 0)
            Paint.Text(canvas, xLabel, (left + right) / 2, area.Bottom - 3, Paint.LabelText, Paint.Ink, Align.Center, maxWidth: right - left);
        if (yLabel.Length > 0)
            Paint.VerticalText(canvas, yLabel, area.X + 7, (top + bottom) / 2, Paint.LabelText, Paint.Ink, bottom - top);
    }

    private static int Stride(IEnumerable<int> sizes, double cell)
    {
        int largest = sizes.DefaultIfEmpty(0).Max();
        return Math.Max(1, (int)Math.Ceiling(largest / Math.Max(cell, 1e-9)));
    }
}
