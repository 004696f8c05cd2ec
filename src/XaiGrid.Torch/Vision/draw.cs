using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class vision
    {
        /// <summary>An 8-bit color, in the canvas's channel order (RGB for the canvases this code makes).</summary>
        public readonly record struct Color(byte R, byte G, byte B)
        {
            public static readonly Color Black = new(0, 0, 0), White = new(255, 255, 255);

            /// <summary>A color from a hex string "#rrggbb".</summary>
            public static Color Hex(string hex)
            {
                if (hex is not { Length: 7 } || hex[0] != '#' || !uint.TryParse(hex.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out uint v))
                    throw new ArgumentException($"a hex color is #rrggbb, got '{hex}'", nameof(hex));
                return new Color((byte)(v >> 16), (byte)(v >> 8), (byte)v);
            }
        }

        /// <summary>OpenCV's Hershey fonts (HersheyFonts codes); they draw ASCII only, other characters become '?'.</summary>
        public enum HersheyFont { Simplex = 0, Plain = 1, Duplex = 2, Complex = 3, Triplex = 4, ComplexSmall = 5 }

        /// <summary>
        /// Drawing through OpenCV on a canvas: a CPU, contiguous uint8 (H, W, C) tensor with C = 1 or 3, changed in
        /// place. Coordinates are pixels, x to the right and y down from the top-left corner; shapes may extend past
        /// the edges (they are clipped). Antialiased strokes blend into what is under them.
        /// </summary>
        public static class draw
        {
            /// <summary>A new RGB canvas (H, W, 3) filled with <paramref name="background"/>.</summary>
            public static Tensor canvas(long height, long width, Color background)
            {
                if (height <= 0 || width <= 0) throw new ArgumentException($"a canvas needs positive sizes, got {height} x {width}");
                using var scope = NewDisposeScope();
                var rgb = tensor(new[] { background.R, background.G, background.B });
                return rgb.view(1, 1, 3).expand(height, width, 3).contiguous().MoveToOuterDisposeScope();
            }

            public static void line(Tensor canvas, int x1, int y1, int x2, int y2, Color color, int thickness = 1, bool antialias = true) =>
                Check(xg_draw_line(canvas.Handle, x1, y1, x2, y2, color.R, color.G, color.B, thickness, antialias ? 1 : 0));

            public static unsafe void polyline(Tensor canvas, IReadOnlyList<(int X, int Y)> points, Color color, int thickness = 1,
                bool closed = false, bool antialias = true)
            {
                var xy = new int[points.Count * 2];
                for (int i = 0; i < points.Count; i++) (xy[2 * i], xy[2 * i + 1]) = points[i];
                fixed (int* p = xy) Check(xg_draw_polyline(canvas.Handle, p, points.Count, closed ? 1 : 0, color.R, color.G, color.B, thickness, antialias ? 1 : 0));
            }

            /// <summary>The rectangle with corners (x, y) and (x + width - 1, y + height - 1): filled, or its outline.</summary>
            public static void rectangle(Tensor canvas, int x, int y, int width, int height, Color color, bool fill = false, int thickness = 1)
            {
                if (width <= 0 || height <= 0) throw new ArgumentException($"a rectangle needs positive sizes, got {width} x {height}");
                if (!fill && thickness < 1) throw new ArgumentException($"an outline needs thickness >= 1, got {thickness}");
                Check(xg_draw_rectangle(canvas.Handle, x, y, x + width - 1, y + height - 1, color.R, color.G, color.B, fill ? -1 : thickness));
            }

            public static void circle(Tensor canvas, int cx, int cy, int radius, Color color, bool fill = false, int thickness = 1, bool antialias = true)
            {
                if (!fill && thickness < 1) throw new ArgumentException($"an outline needs thickness >= 1, got {thickness}");
                Check(xg_draw_circle(canvas.Handle, cx, cy, radius, color.R, color.G, color.B, fill ? -1 : thickness, antialias ? 1 : 0));
            }

            /// <summary>Writes <paramref name="text"/> with the left end of its baseline at (x, y), as cv::putText does.</summary>
            public static void text(Tensor canvas, string text, int x, int y, Color color, double scale = 0.4, int thickness = 1,
                HersheyFont font = HersheyFont.Simplex, bool antialias = true) =>
                Check(xg_draw_text(canvas.Handle, text, x, y, (int)font, scale, color.R, color.G, color.B, thickness, antialias ? 1 : 0));

            /// <summary>The extent of <paramref name="text"/>: its width, its height above the baseline and its depth below it.</summary>
            public static unsafe (int Width, int Height, int Baseline) text_size(string text, double scale = 0.4, int thickness = 1,
                HersheyFont font = HersheyFont.Simplex)
            {
                int* size = stackalloc int[3];
                Check(xg_text_size(text, (int)font, scale, thickness, size));
                return (size[0], size[1], size[2]);
            }
        }
    }
}
