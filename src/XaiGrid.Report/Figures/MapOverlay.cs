using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Report.Figures;

/// <summary>
/// A 2-D map shown over its input tile: the map coloured by a <see cref="ColorScale"/>, alpha-blended over the tile
/// with ImageSharp, so a pixel is (1 - alpha) * tile + alpha * colour(map).
/// </summary>
internal static class MapOverlay
{
    public const float Alpha = 0.5f;

    /// <summary>The blend of a float (3, h, w) or (1, h, w) tile in [0, 1] and an (h, w) map.</summary>
    public static Image<Rgb24> Blend(Tensor tile, Tensor map, ColorScale scale, float alpha = Alpha)
    {
        if (map.dim() != 2 || map.size(0) != tile.size(1) || map.size(1) != tile.size(2))
            throw new ArgumentException($"a map of shape [{string.Join(", ", map.shape)}] does not cover a tile of shape [{string.Join(", ", tile.shape)}]");
        int h = (int)map.size(0), w = (int)map.size(1);
        double[] values;
        using (var flat = map.to(ScalarType.Float64).contiguous()) values = flat.data<double>().ToArray();
        using var heat = new Image<Rgba32>(w, h);
        heat.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    var c = scale.ColorOf(values[y * w + x]);
                    row[x] = new Rgba32(c.R, c.G, c.B, 255);
                }
            }
        });
        var image = ImagePanels.ToRgb(tile);
        image.Mutate(context => context.DrawImage(heat, alpha));
        return image;
    }
}
