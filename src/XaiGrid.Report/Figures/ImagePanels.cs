using ScottPlot;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Image = ScottPlot.Image;

namespace XaiGrid.Report.Figures;

/// <summary>
/// Panels that show pictures rather than data on axes: images and image grids (axes hidden, pixels square), inputs,
/// and explanation maps over their inputs, each map with a colour bar of its values.
/// </summary>
internal static class ImagePanels
{
    /// <summary>Maps colour attributions as the course material does (Grad-CAM's usual jet).</summary>
    public static readonly IColormap MapColors = new ScottPlot.Colormaps.Jet();

    /// <summary>A float (3, h, w) or (1, h, w) tensor with values in [0, 1] (clamped; NaN, a grid's padding, white) as an 8-bit RGB image.</summary>
    public static Image<Rgb24> ToRgb(Tensor chw)
    {
        if (chw.dim() != 3 || chw.size(0) is not (1 or 3))
            throw new ArgumentException($"an image is (1, h, w) or (3, h, w), got [{string.Join(", ", chw.shape)}]");
        int h = (int)chw.size(1), w = (int)chw.size(2);
        byte[] bytes;
        using (var scope = torch.NewDisposeScope())
            bytes = chw.masked_fill(chw.isnan(), 1).expand(3, h, w).clamp(0, 1).mul(255).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous().data<byte>().ToArray();
        return SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(bytes, w, h);
    }

    /// <summary>An image filling its panel with square pixels (crisp when enlarged), with a colour bar when <paramref name="bar"/> is given.</summary>
    public static Plot Picture(string title, Image<Rgb24> image, ColorScale? bar = null, string barLabel = "")
    {
        var plot = Charts.New(title);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        // The figure disposes this native image with the plot (Figure.Dispose).
        var rect = plot.Add.ImageRect(new Image(png.ToArray()), new CoordinateRect(0, image.Width, 0, image.Height));
        rect.AntiAlias = false;
        if (bar is not null) Charts.ColorBar(plot, bar, barLabel);
        Frame(plot, image.Width, image.Height, squarePixels: true);
        return plot;
    }

    /// <summary>An input as it is: a curve for a 1-D input (C, L), an image stretched to its own range for (C, H, W).</summary>
    public static Plot Input(string title, Tensor input)
    {
        if (input.dim() == 2) return Curve(title, input);
        using var scope = torch.NewDisposeScope();
        using var image = ToRgb(Values.Display(input));
        return Picture(title, image);
    }

    /// <summary>
    /// An image grid (Models.Inspection.ImageGrid), float (1, H, W) or (3, H, W) in [0, 1]: RGB as it is; gray as viridis
    /// cells with a colour bar labelled <paramref name="barLabel"/>, NaN cells (the padding between tiles) left white.
    /// Cells are square unless the grid is of 1-D strips, which fill the panel instead.
    /// </summary>
    public static Plot Grid(string title, Tensor grid, string barLabel, bool strips)
    {
        if (grid.size(0) == 3)
        {
            using var image = ToRgb(grid);
            return Picture(title, image);
        }
        int h = (int)grid.size(1), w = (int)grid.size(2);
        double[] flat;
        using (var values = grid.to(ScalarType.Float64).contiguous()) flat = values.data<double>().ToArray();
        var cells = new double[h, w];
        Buffer.BlockCopy(flat, 0, cells, 0, flat.Length * sizeof(double));
        var plot = Charts.New(title);
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = Colors.White;
        // One cell per pixel from (0, 0) to (w, h), as Picture places an image.
        heatmap.Extent = new CoordinateRect(0, w, 0, h);
        Charts.ColorBar(plot, heatmap, barLabel);
        Frame(plot, w, h, squarePixels: !strips);
        return plot;
    }

    /// <summary>A 1-D input (C, L) as a curve over positions (the mean of its channels when it has several).</summary>
    public static Plot Curve(string title, Tensor input)
    {
        var y = Values.Sequence(input);
        return new LineChart(title, "position", "input", [new Series("", Positions(y.Length), y)]) { Legend = null }.ToPlot();
    }

    /// <summary>
    /// One map over its input: for an image, the map blended over it (<see cref="MapOverlay"/>); for a 1-D input, its
    /// curve with every point and segment coloured by the map. A map with the input's channels is summed over them
    /// (the total attribution of a position); a colour bar gives the map's range.
    /// </summary>
    public static Plot Map(string title, Tensor input, Tensor map)
    {
        using var scope = torch.NewDisposeScope();
        var spatial = input.shape[1..];
        var positions = map.dim() == input.dim() && map.size(0) == input.size(0) ? map.sum(0, keepdim: false)
            : map.dim() == input.dim() && map.size(0) == 1 ? map.squeeze(0) : map;
        if (!positions.shape.SequenceEqual(spatial))
            return Charts.Message(title, $"map of shape [{string.Join(", ", map.shape)}] does not cover the input [{string.Join(", ", input.shape)}]");
        var values = positions.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var scale = ColorScale.Over(MapColors, values);
        if (input.dim() == 3)
        {
            using var blended = MapOverlay.Blend(Values.Display(input), positions, scale);
            return Picture(title, blended, scale, "attribution");
        }
        var y = Values.Sequence(input);
        var plot = new LineChart(title, "position", "input", []) { Legend = null }.ToPlot();
        for (int k = 0; k + 1 < y.Length; k++)
        {
            var segment = plot.Add.Line(k, y[k], k + 1, y[k + 1]);
            segment.LineColor = scale.ColorOf((values[k] + values[k + 1]) / 2);
            segment.LineWidth = 2.5f;
        }
        for (int k = 0; k < y.Length; k++) plot.Add.Marker(k, y[k], MarkerShape.FilledCircle, 5, scale.ColorOf(values[k]));
        Charts.ColorBar(plot, scale, "attribution");
        return plot;
    }

    private static double[] Positions(int n) => Enumerable.Range(0, n).Select(i => (double)i).ToArray();

    /// <summary>Axes hidden (pixel positions mean nothing); with square pixels the picture keeps its shape.</summary>
    private static void Frame(Plot plot, int width, int height, bool squarePixels)
    {
        Charts.HideAxes(plot);
        plot.Axes.SetLimits(0, width, 0, height);
        if (squarePixels) plot.Axes.SquareUnits();
    }
}
