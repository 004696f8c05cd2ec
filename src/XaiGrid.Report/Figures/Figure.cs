using ScottPlot;
using SkiaSharp;

namespace XaiGrid.Report.Figures;

/// <summary>A pixel rectangle: (X, Y) its top-left corner, W x H its size.</summary>
internal readonly record struct Rect(int X, int Y, int W, int H)
{
    public int Right => X + W;
    public int Bottom => Y + H;
}

/// <summary>
/// A titled grid of equally sized panels, filled row by row, each a ScottPlot plot rendered into its rectangle of one
/// SkiaSharp canvas. The layout is a pure function of the panel count, the columns and the panel size
/// (<see cref="Size"/>, <see cref="PanelArea"/>), so a reader of the PNG can find every panel again. The figure owns
/// its plots.
/// </summary>
internal sealed class Figure(string title, IReadOnlyList<Plot> panels, int columns, int panelWidth, int panelHeight) : IDisposable
{
    public const int Margin = 12, Gap = 14, TitleHeight = 34;

    /// <summary>The band at the top of each panel that holds the panel's title.</summary>
    public const int PanelTitleBand = 22;

    private const float TitleSize = 17, SmallestTitleSize = 12;

    public int Panels => panels.Count;
    public int Columns => Math.Max(1, Math.Min(columns, panels.Count));
    public int PanelWidth => panelWidth;
    public int PanelHeight => panelHeight;
    public IReadOnlyList<Plot> Plots => panels;

    public static (int Width, int Height) Size(int panels, int columns, int panelWidth, int panelHeight)
    {
        int rows = (panels + columns - 1) / columns;
        return (2 * Margin + columns * panelWidth + (columns - 1) * Gap, TitleHeight + Margin + rows * panelHeight + (rows - 1) * Gap);
    }

    public static Rect PanelArea(int index, int columns, int panelWidth, int panelHeight) =>
        new(Margin + index % columns * (panelWidth + Gap), TitleHeight + index / columns * (panelHeight + Gap), panelWidth, panelHeight);

    /// <summary>The figure as PNG bytes: the same figure always gives the same bytes.</summary>
    public byte[] EncodePng()
    {
        if (panels.Count == 0) throw new InvalidOperationException($"figure '{title}' has no panels");
        ReportFonts.Register();
        var (width, height) = Size(panels.Count, Columns, panelWidth, panelHeight);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                            ?? throw new InvalidOperationException($"SkiaSharp cannot make a {width} x {height} canvas for figure '{title}'");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        DrawTitle(canvas, width);
        for (int i = 0; i < panels.Count; i++)
        {
            var area = PanelArea(i, Columns, panelWidth, panelHeight);
            // ScottPlot centres a title on the data area, which a colour bar pushes left, so a long title ran past the
            // panel's left edge: the figure writes each panel's title centred on the panel, cut to its width.
            var title = panels[i].Axes.Title;
            title.IsVisible = false;
            using (var font = new SKFont(ReportFonts.Bold, title.Label.FontSize))
                DrawCentred(canvas, title.Label.Text, area.X + area.W / 2f, area.Y + PanelTitleBand - 7, font, area.W - 8);
            // A plot clears the whole canvas before it draws: the clip keeps it inside its own panel.
            canvas.Save();
            canvas.ClipRect(new SKRect(area.X, area.Y + PanelTitleBand, area.Right, area.Bottom));
            panels[i].Render(canvas, new PixelRect(new Pixel(area.X, area.Y + PanelTitleBand), new PixelSize(area.W, area.H - PanelTitleBand)));
            canvas.Restore();
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    public void Save(string path) => File.WriteAllBytes(path, EncodePng());

    /// <summary>The title in bold, centred; a long one takes a smaller size, then is cut with an ellipsis.</summary>
    private void DrawTitle(SKCanvas canvas, int width)
    {
        float room = width - 2 * Margin;
        using var font = new SKFont(ReportFonts.Bold, TitleSize);
        if (font.MeasureText(title) > room) font.Size = Math.Max(SmallestTitleSize, TitleSize * room / font.MeasureText(title));
        DrawCentred(canvas, title, width / 2f, TitleHeight - 10, font, room);
    }

    /// <summary>A line of text centred on <paramref name="x"/> with its baseline at <paramref name="y"/>, cut to <paramref name="room"/> pixels.</summary>
    private static void DrawCentred(SKCanvas canvas, string text, float x, float y, SKFont font, float room)
    {
        using var paint = new SKPaint { Color = new SKColor(0x22, 0x22, 0x22), IsAntialias = true };
        canvas.DrawText(Charts.Fit(text, room, font), x, y, SKTextAlign.Center, font, paint);
    }

    public void Dispose()
    {
        foreach (var plot in panels)
        {
            // A plot does not own the images it shows; the figure does (see ImagePanels.Picture).
            foreach (var picture in plot.GetPlottables<ScottPlot.Plottables.ImageRect>()) picture.Image?.Dispose();
            plot.Dispose();
        }
    }
}
