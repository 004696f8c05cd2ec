using XaiGrid.Torch;
using Color = XaiGrid.Torch.torch.vision.Color;
using draw = XaiGrid.Torch.torch.vision.draw;

namespace XaiGrid.Report.Figures;

/// <summary>A pixel rectangle: (X, Y) its top-left corner, W x H its size.</summary>
internal readonly record struct Rect(int X, int Y, int W, int H)
{
    public int Right => X + W;
    public int Bottom => Y + H;
}

internal enum Align { Left, Center, Right }

/// <summary>
/// What every figure shares on top of torch.vision.draw: the palette, the text sizes, aligned and rotated text,
/// pasting images and colormapping values. Canvases are RGB uint8 (H, W, 3).
/// </summary>
internal static class Paint
{
    public const double TickText = 0.33, LabelText = 0.38, TitleText = 0.42, FigureTitleText = 0.55;

    public static readonly Color Ink = Color.Hex("#222222"), Frame = Color.Hex("#555555"), GridLine = Color.Hex("#e4e4e4"),
        Muted = Color.Hex("#777777"), Missing = Color.Hex("#d0d0d0"), Background = Color.White;

    /// <summary>Matplotlib's "tab10" cycle: distinct colors for up to ten series.</summary>
    private static readonly Color[] Cycle =
    [
        Color.Hex("#1f77b4"), Color.Hex("#ff7f0e"), Color.Hex("#2ca02c"), Color.Hex("#d62728"), Color.Hex("#9467bd"),
        Color.Hex("#8c564b"), Color.Hex("#e377c2"), Color.Hex("#7f7f7f"), Color.Hex("#bcbd22"), Color.Hex("#17becf"),
    ];

    public static Color Series(int i) => Cycle[i % Cycle.Length];

    public static int TextWidth(string text, double scale) => draw.text_size(text, scale).Width;

    /// <summary>
    /// Writes <paramref name="text"/> aligned on x; y is the vertical middle of the text when <paramref name="middle"/>,
    /// else its baseline. Text wider than <paramref name="maxWidth"/> is cut with "...".
    /// </summary>
    public static void Text(Tensor canvas, string text, int x, int y, double scale, Color color, Align align = Align.Left,
        bool middle = false, int? maxWidth = null)
    {
        if (maxWidth is { } max) text = Fit(text, max, scale);
        if (text.Length == 0) return;
        var (w, h, _) = draw.text_size(text, scale);
        int left = align switch { Align.Center => x - w / 2, Align.Right => x - w, _ => x };
        draw.text(canvas, text, left, middle ? y + h / 2 : y, color, scale);
    }

    /// <summary>The longest prefix of <paramref name="text"/> that fits in <paramref name="width"/> pixels, with "..." when cut.</summary>
    public static string Fit(string text, int width, double scale)
    {
        if (TextWidth(text, scale) <= width) return text;
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (TextWidth(text[..mid] + "...", scale) <= width) lo = mid;
            else hi = mid - 1;
        }
        return lo == 0 ? "" : text[..lo] + "...";
    }

    /// <summary>Text turned 90 degrees counter-clockwise (reading upwards), centred on (cx, cy): a y-axis label.</summary>
    public static void VerticalText(Tensor canvas, string text, int cx, int cy, double scale, Color color, int maxLength)
    {
        text = Fit(text, maxLength, scale);
        if (text.Length == 0) return;
        var (w, h, baseline) = draw.text_size(text, scale);
        using var scope = torch.NewDisposeScope();
        var strip = draw.canvas(h + baseline + 2, w + 2, Background);
        draw.text(strip, text, 1, h + 1, color, scale);
        // Rotating (rows, columns) counter-clockwise: row r of the result is column (W - 1 - r) of the strip.
        var turned = strip.transpose(0, 1).flip(0).contiguous();
        PasteBytes(canvas, turned, cx - (int)turned.size(1) / 2, cy - (int)turned.size(0) / 2);
    }

    /// <summary>Pastes a float (3, h, w) image with values in [0, 1] with its top-left corner at (x, y), clipped to the canvas.</summary>
    public static void Paste(Tensor canvas, Tensor image, int x, int y)
    {
        using var scope = torch.NewDisposeScope();
        PasteBytes(canvas, image.clamp(0, 1).mul(255).round().to(ScalarType.Byte).permute(1, 2, 0), x, y);
    }

    private static void PasteBytes(Tensor canvas, Tensor hwc, int x, int y)
    {
        long top = Math.Max(0, y), left = Math.Max(0, x);
        long bottom = Math.Min(canvas.size(0), y + hwc.size(0)), right = Math.Min(canvas.size(1), x + hwc.size(1));
        if (bottom <= top || right <= left) return;
        using var target = canvas.narrow(0, top, bottom - top).narrow(1, left, right - left);
        using var source = hwc.narrow(0, top - y, bottom - top).narrow(1, left - x, right - left);
        target.copy_(source);
    }

    /// <summary>The colors of <paramref name="values"/> under a colormap, after mapping [lo, hi] to [0, 1] (NaN: <see cref="Missing"/>).</summary>
    public static Color[] Colormap(IReadOnlyList<double> values, double lo, double hi, torch.vision.Colormap map)
    {
        if (values.Count == 0) return [];
        using var scope = torch.NewDisposeScope();
        double span = hi > lo ? hi - lo : 1;
        var unit = values.Select(v => double.IsNaN(v) ? 0f : (float)Math.Clamp((v - lo) / span, 0, 1)).ToArray();
        var rgb = torch.vision.apply_colormap(torch.tensor(unit, [1, unit.Length]), map)
            .mul(255).round().to(ScalarType.Byte).reshape(3, unit.Length).t().contiguous().data<byte>();
        return values.Select((v, i) => double.IsNaN(v) ? Missing : new Color(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2])).ToArray();
    }

    /// <summary>Black or white, whichever reads better on <paramref name="background"/>.</summary>
    public static Color On(Color background) =>
        0.299 * background.R + 0.587 * background.G + 0.114 * background.B > 140 ? Ink : Color.White;
}
