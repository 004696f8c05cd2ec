using XaiGrid.Torch;
using Color = XaiGrid.Torch.torch.vision.Color;
using draw = XaiGrid.Torch.torch.vision.draw;

namespace XaiGrid.Report.Tests;

/// <summary>torch.vision.draw on small canvases, against pixels worked out by hand.</summary>
public sealed class DrawTests
{
    private static readonly Color Red = new(255, 0, 0), Blue = new(0, 0, 255), Gray = new(10, 20, 30);

    /// <summary>The (y, x) pixels of a canvas that are not the background.</summary>
    private static HashSet<(int Y, int X)> Painted(Tensor canvas, Color background)
    {
        var bytes = canvas.contiguous().data<byte>();
        long h = canvas.size(0), w = canvas.size(1);
        var set = new HashSet<(int, int)>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                long i = (y * w + x) * 3;
                if (bytes[i] != background.R || bytes[i + 1] != background.G || bytes[i + 2] != background.B) set.Add((y, x));
            }
        return set;
    }

    private static Color Pixel(Tensor canvas, int y, int x)
    {
        var p = canvas[y][x].contiguous().data<byte>();
        return new Color(p[0], p[1], p[2]);
    }

    private static HashSet<(int, int)> Box(int x0, int y0, int x1, int y1) =>
        Enumerable.Range(y0, y1 - y0 + 1).SelectMany(y => Enumerable.Range(x0, x1 - x0 + 1).Select(x => (y, x))).ToHashSet();

    [Fact]
    public void CanvasIsFilledWithItsBackgroundInRgbOrder()
    {
        using var canvas = draw.canvas(3, 4, Gray);
        Assert.Equal(new long[] { 3, 4, 3 }, canvas.shape);
        Assert.Equal(ScalarType.Byte, canvas.dtype);
        Assert.All(canvas.data<byte>().Chunk(3), p => Assert.Equal(new byte[] { 10, 20, 30 }, p));
    }

    [Fact]
    public void FilledRectangleCoversExactlyItsPixels()
    {
        using var canvas = draw.canvas(10, 12, Color.White);
        draw.rectangle(canvas, 2, 3, 4, 5, Red, fill: true);
        Assert.Equal(Box(2, 3, 5, 7), Painted(canvas, Color.White));
        Assert.Equal(Red, Pixel(canvas, 3, 2));
    }

    [Fact]
    public void RectangleOutlineIsItsBorderOnly()
    {
        using var canvas = draw.canvas(10, 12, Color.White);
        draw.rectangle(canvas, 2, 3, 4, 5, Blue);
        var border = Box(2, 3, 5, 7);
        border.ExceptWith(Box(3, 4, 4, 6));
        Assert.Equal(border, Painted(canvas, Color.White));
    }

    [Fact]
    public void AliasedLinesAreTheirPixelRuns()
    {
        using var canvas = draw.canvas(8, 10, Color.White);
        draw.line(canvas, 1, 2, 7, 2, Red, antialias: false);
        draw.line(canvas, 8, 1, 8, 6, Blue, antialias: false);
        draw.line(canvas, 0, 0, 3, 3, Red, antialias: false);
        var expected = Box(1, 2, 7, 2);
        expected.UnionWith(Box(8, 1, 8, 6));
        expected.UnionWith([(0, 0), (1, 1), (2, 2), (3, 3)]);
        Assert.Equal(expected, Painted(canvas, Color.White));
        Assert.Equal(Blue, Pixel(canvas, 4, 8));
    }

    [Fact]
    public void PolylineJoinsItsPointsAndClosesOnRequest()
    {
        using var open = draw.canvas(8, 8, Color.White);
        using var closed = draw.canvas(8, 8, Color.White);
        (int, int)[] points = [(1, 1), (6, 1), (6, 6)];
        draw.polyline(open, points, Red, antialias: false);
        draw.polyline(closed, points, Red, closed: true, antialias: false);
        var expected = Box(1, 1, 6, 1);
        expected.UnionWith(Box(6, 1, 6, 6));
        Assert.Equal(expected, Painted(open, Color.White));
        expected.UnionWith(Enumerable.Range(1, 6).Select(i => (i, i)));
        Assert.Equal(expected, Painted(closed, Color.White));
    }

    [Fact]
    public void FilledCircleIsSymmetricAndWithinItsRadius()
    {
        using var canvas = draw.canvas(21, 21, Color.White);
        draw.circle(canvas, 10, 10, 5, Blue, fill: true, antialias: false);
        var painted = Painted(canvas, Color.White);
        Assert.Contains((10, 10), painted);
        Assert.Contains((10, 15), painted);
        Assert.All(painted, p => Assert.True((p.Y - 10) * (p.Y - 10) + (p.X - 10) * (p.X - 10) <= 6 * 6, $"{p} is outside the radius"));
        // The four mirror images of every painted pixel are painted too.
        Assert.All(painted, p => Assert.Subset(painted, new HashSet<(int, int)> { (p.Y, 20 - p.X), (20 - p.Y, p.X), (p.X, p.Y) }));
        // A disc of radius 5 covers about pi 5^2 = 78.5 pixels.
        Assert.InRange(painted.Count, 69, 97);
    }

    [Fact]
    public void TextStaysInsideTheBoxTextSizeReports()
    {
        using var canvas = draw.canvas(40, 120, Color.White);
        var (w, h, baseline) = draw.text_size("Axis 42", 0.5);
        Assert.True(w > 30 && h > 5 && baseline > 0, $"size {w} x {h}, baseline {baseline}");
        draw.text(canvas, "Axis 42", 10, 25, Color.Black, 0.5);
        var painted = Painted(canvas, Color.White);
        Assert.NotEmpty(painted);
        Assert.All(painted, p => Assert.True(p.X >= 10 && p.X < 10 + w && p.Y > 25 - h - 1 && p.Y <= 25 + baseline, $"{p} is outside the text box"));
        // A longer text is wider.
        Assert.True(draw.text_size("Axis 42 and more", 0.5).Width > w);
    }

    [Fact]
    public void BadCanvasesAreRefusedWithTheReason()
    {
        using var floats = torch.zeros([4, 4, 3]);
        Assert.Contains("uint8", Assert.Throws<TorchException>(() => draw.line(floats, 0, 0, 3, 3, Red)).Message);
        using var chw = torch.zeros([3, 4, 4], ScalarType.Byte);
        Assert.Contains("(H, W, C)", Assert.Throws<TorchException>(() => draw.circle(chw, 1, 1, 1, Red)).Message);
        using var canvas = draw.canvas(4, 6, Color.White);
        using var view = canvas.narrow(1, 1, 3);
        Assert.Contains("contiguous", Assert.Throws<TorchException>(() => draw.rectangle(view, 0, 0, 2, 2, Red)).Message);
        Assert.Throws<ArgumentException>(() => draw.rectangle(canvas, 0, 0, 0, 2, Red));
        Assert.Contains("thickness", Assert.Throws<TorchException>(() => draw.line(canvas, 0, 0, 1, 1, Red, thickness: 0)).Message);
    }
}
