using XaiGrid.Torch;
using draw = XaiGrid.Torch.torch.vision.draw;

namespace XaiGrid.Report.Figures;

/// <summary>Something drawn into one panel of a figure.</summary>
internal interface IPanel
{
    void Draw(Tensor canvas, Rect area);
}

/// <summary>
/// A titled grid of equally sized panels, filled row by row. The layout is a pure function of the panel count, the
/// columns and the panel size (<see cref="Size"/>, <see cref="PanelArea"/>), so a reader of the PNG can find every
/// panel again.
/// </summary>
internal sealed class Figure(string title, IReadOnlyList<IPanel> panels, int columns, int panelWidth, int panelHeight)
{
    public const int Margin = 12, Gap = 14, TitleHeight = 30;

    public int Panels => panels.Count;
    public int Columns => Math.Max(1, Math.Min(columns, panels.Count));
    public int PanelWidth => panelWidth;
    public int PanelHeight => panelHeight;

    public static (int Width, int Height) Size(int panels, int columns, int panelWidth, int panelHeight)
    {
        int rows = (panels + columns - 1) / columns;
        return (2 * Margin + columns * panelWidth + (columns - 1) * Gap, TitleHeight + Margin + rows * panelHeight + (rows - 1) * Gap);
    }

    public static Rect PanelArea(int index, int columns, int panelWidth, int panelHeight) =>
        new(Margin + index % columns * (panelWidth + Gap), TitleHeight + index / columns * (panelHeight + Gap), panelWidth, panelHeight);

    /// <summary>The figure as an RGB uint8 (H, W, 3) canvas.</summary>
    public Tensor Render()
    {
        if (panels.Count == 0) throw new InvalidOperationException($"figure '{title}' has no panels");
        var (width, height) = Size(panels.Count, Columns, panelWidth, panelHeight);
        var canvas = draw.canvas(height, width, Paint.Background);
        // A long title on a narrow figure takes the smaller panel-title size before it is cut.
        double scale = Paint.TextWidth(title, Paint.FigureTitleText) <= width - 2 * Margin ? Paint.FigureTitleText : Paint.TitleText;
        Paint.Text(canvas, title, width / 2, TitleHeight / 2, scale, Paint.Ink, Align.Center, middle: true, maxWidth: width - 2 * Margin);
        for (int i = 0; i < panels.Count; i++) panels[i].Draw(canvas, PanelArea(i, Columns, panelWidth, panelHeight));
        return canvas;
    }

    public void Save(string path)
    {
        using var canvas = Render();
        using var chw = canvas.permute(2, 0, 1);
        torch.vision.io.write_png(chw, path);
    }
}

/// <summary>A panel that says why there is nothing to draw (a cell pending, failed, or without stored inputs).</summary>
internal sealed class MessagePanel(string title, string message) : IPanel
{
    public void Draw(Tensor canvas, Rect area)
    {
        Panels.Title(canvas, area, title);
        draw.rectangle(canvas, area.X, area.Y + Panels.TitleBand, area.W, area.H - Panels.TitleBand, Paint.Missing);
        var lines = Wrap(message, area.W - 12, Paint.LabelText);
        int y = area.Y + (area.H + Panels.TitleBand) / 2 - lines.Count * 7;
        foreach (var line in lines)
        {
            Paint.Text(canvas, line, area.X + area.W / 2, y, Paint.LabelText, Paint.Muted, Align.Center, middle: true);
            y += 14;
        }
    }

    private static List<string> Wrap(string text, int width, double scale)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (Paint.TextWidth(candidate, scale) <= width || line.Length == 0) line = candidate;
            else
            {
                lines.Add(line);
                line = word;
            }
            if (lines.Count == 6) break;
        }
        if (line.Length > 0 && lines.Count < 6) lines.Add(line);
        return lines;
    }
}

/// <summary>An image (float (3, h, w) or (1, h, w) in [0, 1]) scaled to fit its panel, under a title.</summary>
internal sealed class ImagePanel(string title, Tensor image) : IPanel
{
    public void Draw(Tensor canvas, Rect area)
    {
        Panels.Title(canvas, area, title);
        using var scope = torch.NewDisposeScope();
        var rgb = image.size(0) == 1 ? image.expand(3, image.size(1), image.size(2)) : image;
        int availableW = area.W, availableH = area.H - Panels.TitleBand;
        double scale = Math.Min((double)availableW / rgb.size(2), (double)availableH / rgb.size(1));
        // Small images (filters, strips) grow by whole factors with nearest neighbours so their pixels stay crisp.
        if (scale >= 2) scale = Math.Floor(scale);
        int w = Math.Max(1, (int)(rgb.size(2) * scale)), h = Math.Max(1, (int)(rgb.size(1) * scale));
        var mode = scale >= 1 ? torch.vision.InterpolationMode.Nearest : torch.vision.InterpolationMode.Area;
        var fitted = torch.vision.resize(rgb.contiguous(), h, w, mode);
        Paint.Paste(canvas, fitted, area.X + (availableW - w) / 2, area.Y + Panels.TitleBand + (availableH - h) / 2);
    }
}

/// <summary>Pieces shared by the panel kinds.</summary>
internal static class Panels
{
    /// <summary>Height of the band at the top of a panel that holds its title.</summary>
    public const int TitleBand = 18;

    public static void Title(Tensor canvas, Rect area, string title) =>
        Paint.Text(canvas, title, area.X + area.W / 2, area.Y + TitleBand / 2, Paint.TitleText, Paint.Ink, Align.Center, middle: true, maxWidth: area.W - 4);
}
