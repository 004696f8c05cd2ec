using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Inspection;

/// <summary>How a tile's values are mapped to [0, 1] before it is drawn.</summary>
public abstract record TileScale
{
    private TileScale() { }

    /// <summary>Each tile by its own min and max (a constant tile becomes 0).</summary>
    public static readonly TileScale PerTile = new PerTileScale();

    /// <summary>Every tile by the min and max over all tiles, so tiles compare with one another.</summary>
    public static readonly TileScale Shared = new SharedScale();

    /// <summary>Every tile by the given range; values outside it are clamped.</summary>
    public static TileScale Fixed(double min, double max) =>
        max > min ? new FixedScale(min, max) : throw new ArgumentException($"a fixed tile range needs max > min, got [{min}, {max}]");

    internal sealed record PerTileScale : TileScale;

    internal sealed record SharedScale : TileScale;

    internal sealed record FixedScale(double Min, double Max) : TileScale;
}

/// <summary>Layout and look of an <see cref="ImageGrid"/>.</summary>
public sealed record GridOptions
{
    /// <summary>Tiles per row; null picks 1 for strips (tiles one pixel high, so positions line up), else ceil(sqrt(n)).</summary>
    public int? Columns { get; init; }

    /// <summary>Pixels between neighbouring tiles (not around the border).</summary>
    public int Padding { get; init; } = 1;

    /// <summary>
    /// Gray level in [0, 1] of the padding and of empty cells in the last row, or NaN to mark them as holding no value
    /// (a heatmap of the grid leaves them blank).
    /// </summary>
    public double PadValue { get; init; } = 1;

    public TileScale Scale { get; init; } = TileScale.PerTile;

    /// <summary>Each tile pixel becomes an Upscale x Upscale block (nearest neighbour); padding is not scaled.</summary>
    public int Upscale { get; init; } = 1;

    internal void Validate()
    {
        if (Columns is < 1) throw new ArgumentException($"grid Columns must be at least 1, got {Columns}");
        if (Padding < 0) throw new ArgumentException($"grid Padding can't be negative, got {Padding}");
        if (!(PadValue >= 0 && PadValue <= 1 || double.IsNaN(PadValue))) throw new ArgumentException($"grid PadValue must be in [0, 1] or NaN, got {PadValue}");
        if (Upscale < 1) throw new ArgumentException($"grid Upscale must be at least 1, got {Upscale}");
        ArgumentNullException.ThrowIfNull(Scale, nameof(Scale));
    }
}

/// <summary>
/// Lays out maps, images or 1-D signals as tiles of one image, row by row. A tile is a gray map (H, W) or (1, H, W),
/// an RGB image (3, H, W), or a 1-D signal (L), laid out as a strip one pixel high and L wide (give an
/// <see cref="GridOptions.Upscale"/> to make it visible; strips stack in one column by default, so the same
/// position of every signal lines up vertically). All tiles share one size. The grid is float32 (C, H, W) in [0, 1]
/// with C = 3 when a tile is RGB, else 1 (colouring gray grids is the figure's job); tile i sits at row i / columns, column i % columns, its
/// top-left pixel at (row * (h * upscale + padding), column * (w * upscale + padding)).
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// A grid of the tiles along the first axis of <paramref name="stack"/>: (N, L) gives N strips, (N, H, W) N gray
    /// maps, (N, C, H, W) with C = 1 or 3 N gray or RGB images.
    /// </summary>
    public static Tensor Compose(Tensor stack, GridOptions? options = null)
    {
        if (stack.dim() is < 2 or > 4 || stack.dim() == 4 && stack.size(1) is not (1 or 3))
            throw new ArgumentException(
                $"a tile stack is (N, L), (N, H, W) or (N, C, H, W) with C = 1 or 3; got shape [{string.Join(", ", stack.shape)}]", nameof(stack));
        using var scope = torch.NewDisposeScope();
        var tiles = Enumerable.Range(0, (int)stack.size(0)).Select(i => stack.select(0, i)).ToList();
        return Compose(tiles, options).MoveToOuterDisposeScope();
    }

    /// <summary>A grid of <paramref name="tiles"/>, each (L), (H, W), (1, H, W) or (3, H, W).</summary>
    public static Tensor Compose(IReadOnlyList<Tensor> tiles, GridOptions? options = null)
    {
        options ??= new GridOptions();
        options.Validate();
        if (tiles.Count == 0) throw new ArgumentException("a grid needs at least one tile", nameof(tiles));

        using var scope = torch.NewDisposeScope();
        var images = tiles.Select(AsImage).ToList();
        long h = images[0].size(1), w = images[0].size(2);
        for (int i = 1; i < images.Count; i++)
            if (images[i].size(1) != h || images[i].size(2) != w)
                throw new ArgumentException(
                    $"grid tiles must share one size: tile 0 is {h} x {w}, tile {i} is {images[i].size(1)} x {images[i].size(2)}", nameof(tiles));

        bool rgb = images.Any(t => t.size(0) == 3);
        var range = options.Scale switch
        {
            TileScale.SharedScale => ((double, double)?)Range(torch.stack(images.Select(t => t.flatten()).ToList())),
            TileScale.FixedScale fixedRange => (fixedRange.Min, fixedRange.Max),
            _ => null,
        };

        int n = images.Count;
        int columns = Math.Min(n, options.Columns ?? (h == 1 ? 1 : (int)Math.Ceiling(Math.Sqrt(n))));
        int rows = (n + columns - 1) / columns;
        long f = options.Upscale, pad = options.Padding, th = h * f, tw = w * f;
        var grid = torch.full([rgb ? 3 : 1, rows * th + (rows - 1) * pad, columns * tw + (columns - 1) * pad], options.PadValue);
        for (int i = 0; i < n; i++)
        {
            using var tileScope = torch.NewDisposeScope();
            var tile = Upscale(Normalize(images[i], range ?? Range(images[i])), f);
            if (rgb && tile.size(0) == 1) tile = tile.expand(3, th, tw);
            long top = i / columns * (th + pad), left = i % columns * (tw + pad);
            grid.narrow(1, top, th).narrow(2, left, tw).copy_(tile);
        }
        return grid.MoveToOuterDisposeScope();
    }

    // As float64 (C, H, W): the normalized values are computed at full precision before they become float32 pixels.
    private static Tensor AsImage(Tensor tile, int index)
    {
        var s = tile.shape;
        bool ok = s.Length is 1 or 2 || s.Length == 3 && s[0] is 1 or 3;
        if (!ok || tile.numel() == 0)
            throw new ArgumentException(
                $"grid tile {index} must be a non-empty (L), (H, W), (1, H, W) or (3, H, W) tensor; got shape [{string.Join(", ", s)}]");
        var image = tile.detach().to(torch.float64, torch.CPU);
        if (!image.isfinite().all().item<bool>()) throw new ArgumentException($"grid tile {index} has NaN or infinite values");
        return s.Length switch
        {
            1 => image.reshape(1, 1, s[0]),
            2 => image.unsqueeze(0),
            _ => image,
        };
    }

    private static (double lo, double hi) Range(Tensor t) => (t.min().ToDouble(), t.max().ToDouble());

    private static Tensor Normalize(Tensor tile, (double lo, double hi) range) =>
        range.hi > range.lo ? tile.sub(range.lo).div(range.hi - range.lo).clamp(0, 1) : torch.zeros_like(tile);

    private static Tensor Upscale(Tensor tile, long f)
    {
        if (f == 1) return tile;
        long c = tile.size(0), h = tile.size(1), w = tile.size(2);
        return tile.reshape(c, h, 1, w, 1).expand(c, h, f, w, f).reshape(c, h * f, w * f);
    }
}
