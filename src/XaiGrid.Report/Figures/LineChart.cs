using XaiGrid.Torch;
using Color = XaiGrid.Torch.torch.vision.Color;
using draw = XaiGrid.Torch.torch.vision.draw;

namespace XaiGrid.Report.Figures;

/// <summary>
/// One line of a chart. With <paramref name="PointColors"/> each segment takes the color of its first point and every
/// point gets a dot (a 1-D input coloured by its map). Non-finite points break the line.
/// </summary>
internal sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, Color Color, IReadOnlyList<Color>? PointColors = null);

/// <summary>
/// The one line chart of the report: axes with ticks and grid lines, axis labels, any number of series, an optional
/// dashed reference line and a legend, in the corner of the plot where it hides the least of the lines. Empty axis
/// labels take no room (compact panels).
/// </summary>
internal sealed class LineChart(string title, string xLabel, string yLabel, IReadOnlyList<Series> series) : IPanel
{
    public (double Lo, double Hi)? XRange { get; init; }
    public (double Lo, double Hi)? YRange { get; init; }

    /// <summary>Names of the x positions 0 .. n-1, instead of numeric ticks.</summary>
    public IReadOnlyList<string>? XCategories { get; init; }

    /// <summary>A reference segment (x0, y0) - (x1, y1) in data coordinates, e.g. the ROC diagonal.</summary>
    public (double X0, double Y0, double X1, double Y1)? Reference { get; init; }

    public bool Legend { get; init; } = true;
    public int TickCount { get; init; } = 5;

    public void Draw(Tensor canvas, Rect area)
    {
        Panels.Title(canvas, area, title);
        var finite = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        var x = XCategories is { } names ? Axis.Categories(names)
            : Axis.Nice(finite.Count > 0 ? finite.Min(p => p.First) : 0, finite.Count > 0 ? finite.Max(p => p.First) : 1, XRange, TickCount);
        var y = Axis.Nice(finite.Count > 0 ? finite.Min(p => p.Second) : 0, finite.Count > 0 ? finite.Max(p => p.Second) : 1, YRange, TickCount);

        int labelBand = yLabel.Length > 0 ? 16 : 0;
        int tickWidth = y.Labels.Max(l => Paint.TextWidth(l, Paint.TickText));
        var plot = new Rect(area.X + labelBand + tickWidth + 6, area.Y + Panels.TitleBand + 4, 0, 0);
        int bottom = area.Bottom - (xLabel.Length > 0 ? 16 : 0) - 14;
        plot = plot with { W = area.Right - 8 - plot.X, H = bottom - plot.Y };
        if (plot.W < 10 || plot.H < 10) throw new InvalidOperationException($"panel '{title}' is too small for a chart ({area.W} x {area.H})");

        int Px(double v) => x.Pixel(v, plot.X, plot.Right - 1);
        int Py(double v) => y.Pixel(v, plot.Bottom - 1, plot.Y);

        for (int i = 0; i < x.Ticks.Length; i++)
        {
            int px = Px(x.Ticks[i]);
            draw.line(canvas, px, plot.Y, px, plot.Bottom - 1, Paint.GridLine, antialias: false);
            int room = x.Ticks.Length > 1 ? Math.Abs(Px(x.Ticks[Math.Min(i + 1, x.Ticks.Length - 1)]) - Px(x.Ticks[Math.Max(i - 1, 0)])) / 2 : plot.W;
            Paint.Text(canvas, x.Labels[i], px, plot.Bottom + 11, Paint.TickText, Paint.Ink, Align.Center, maxWidth: Math.Max(room, 8));
        }
        for (int i = 0; i < y.Ticks.Length; i++)
        {
            int py = Py(y.Ticks[i]);
            draw.line(canvas, plot.X, py, plot.Right - 1, py, Paint.GridLine, antialias: false);
            Paint.Text(canvas, y.Labels[i], plot.X - 4, py, Paint.TickText, Paint.Ink, Align.Right, middle: true);
        }
        if (Reference is { } r)
            Dashed(canvas, Px(r.X0), Py(r.Y0), Px(r.X1), Py(r.Y1), Paint.Muted);

        var drawn = new List<(int X, int Y)>();
        foreach (var s in series)
        {
            var points = new List<(int X, int Y)>();
            var colors = new List<Color>();
            void Flush()
            {
                if (s.PointColors is null && points.Count >= 2) draw.polyline(canvas, points, s.Color, thickness: 2);
                if (s.PointColors is not null)
                {
                    for (int k = 0; k + 1 < points.Count; k++)
                        draw.line(canvas, points[k].X, points[k].Y, points[k + 1].X, points[k + 1].Y, colors[k], thickness: 2);
                    for (int k = 0; k < points.Count; k++) draw.circle(canvas, points[k].X, points[k].Y, 2, colors[k], fill: true);
                }
                points.Clear();
                colors.Clear();
            }
            for (int k = 0; k < s.X.Count; k++)
            {
                if (!double.IsFinite(s.X[k]) || !double.IsFinite(s.Y[k]))
                {
                    Flush();
                    continue;
                }
                points.Add((Px(s.X[k]), Py(s.Y[k])));
                if (points.Count >= 2) drawn.AddRange(Along(points[^2], points[^1]));
                if (s.PointColors is not null) colors.Add(s.PointColors[k]);
            }
            Flush();
        }
        draw.rectangle(canvas, plot.X, plot.Y, plot.W, plot.H, Paint.Frame);

        if (xLabel.Length > 0)
            Paint.Text(canvas, xLabel, plot.X + plot.W / 2, area.Bottom - 3, Paint.LabelText, Paint.Ink, Align.Center, maxWidth: plot.W);
        if (yLabel.Length > 0)
            Paint.VerticalText(canvas, yLabel, area.X + 7, plot.Y + plot.H / 2, Paint.LabelText, Paint.Ink, plot.H);
        if (Legend && series.Count > 0) DrawLegend(canvas, plot, drawn);
    }

    private void DrawLegend(Tensor canvas, Rect plot, List<(int X, int Y)> drawn)
    {
        const int row = 12, swatch = 14;
        int textWidth = Math.Min(series.Max(s => Paint.TextWidth(s.Label, Paint.TickText)), plot.W - swatch - 16);
        int w = swatch + textWidth + 12, h = series.Count * row + 6;
        if (textWidth < 20 || h > plot.H - 4) return;
        int left = plot.X + 4, right = plot.Right - w - 4, top = plot.Y + 4, bottom = plot.Bottom - h - 4;
        // Lines just outside the box count too: a legend touching a line hides it as well.
        const int near = 8;
        int Hidden(Rect r) => drawn.Count(p => p.X >= r.X - near && p.X < r.Right + near && p.Y >= r.Y - near && p.Y < r.Bottom + near);
        // Ties keep the listed order: top right first, as most charts leave it free.
        var box = new Rect[] { new(right, top, w, h), new(left, top, w, h), new(right, bottom, w, h), new(left, bottom, w, h) }.MinBy(Hidden);
        int x = box.X, y = box.Y;
        draw.rectangle(canvas, x, y, w, h, Paint.Background, fill: true);
        draw.rectangle(canvas, x, y, w, h, Paint.GridLine);
        for (int i = 0; i < series.Count; i++)
        {
            int cy = y + 3 + i * row + row / 2;
            draw.line(canvas, x + 3, cy, x + 3 + swatch, cy, series[i].Color, thickness: 2);
            Paint.Text(canvas, series[i].Label, x + swatch + 7, cy, Paint.TickText, Paint.Ink, middle: true, maxWidth: textWidth);
        }
    }

    /// <summary>Points every 3 pixels along a segment, its end included: what a legend placed there would hide.</summary>
    private static IEnumerable<(int X, int Y)> Along((int X, int Y) a, (int X, int Y) b)
    {
        int n = Math.Max(1, Math.Max(Math.Abs(b.X - a.X), Math.Abs(b.Y - a.Y)) / 3);
        for (int i = 1; i <= n; i++) yield return (a.X + (b.X - a.X) * i / n, a.Y + (b.Y - a.Y) * i / n);
    }

    private static void Dashed(Tensor canvas, int x0, int y0, int x1, int y1, Color color)
    {
        double length = Math.Sqrt((double)(x1 - x0) * (x1 - x0) + (double)(y1 - y0) * (y1 - y0));
        const double dash = 5;
        for (double t = 0; t < length; t += 2 * dash)
        {
            double a = t / length, b = Math.Min(t + dash, length) / length;
            draw.line(canvas, (int)(x0 + a * (x1 - x0)), (int)(y0 + a * (y1 - y0)), (int)(x0 + b * (x1 - x0)), (int)(y0 + b * (y1 - y0)), color);
        }
    }
}
