using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    /// <summary>
    /// Images through OpenCV: reading and writing files, resizing, colormaps and heat-map overlays. Images are
    /// float32 (C, H, W) tensors with C = 1 (gray) or 3 (RGB order) and values in [0, 1]; a (H, W) tensor is
    /// a gray image.
    /// </summary>
    public static partial class vision
    {
        /// <summary>OpenCV's interpolation flags (INTER_NEAREST, INTER_LINEAR, INTER_AREA, INTER_CUBIC).</summary>
        public enum InterpolationMode { Nearest = 0, Bilinear = 1, Area = 2, Bicubic = 3 }

        /// <summary>Colormaps; the values are OpenCV's ColormapTypes codes.</summary>
        public enum Colormap { Jet = 2, Inferno = 14, Viridis = 16 }

        public static class io
        {
            /// <summary>What <see cref="read_image"/> returns: the file's own channels (alpha dropped), gray, or RGB.</summary>
            public enum ImageReadMode { UNCHANGED = 0, GRAY = 1, RGB = 2 }

            /// <summary>
            /// Reads a PNG, TIFF or JPEG file as float32 (C, H, W) in [0, 1]: 8-bit values are divided by 255 and
            /// 16-bit ones by 65535. Gray conversion uses OpenCV's weights 0.299 R + 0.587 G + 0.114 B.
            /// </summary>
            public static Tensor read_image(string path, ImageReadMode mode = ImageReadMode.RGB)
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
                return new Tensor(xg_imread(path, (int)mode));
            }

            /// <summary>
            /// Writes an 8-bit PNG: (3, H, W) as RGB, (1, H, W) or (H, W) as gray. Float values are clamped to
            /// [0, 1] and rounded to the nearest of k / 255; a uint8 tensor is written as it is.
            /// </summary>
            public static void write_png(Tensor image, string path)
            {
                if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"write_png writes PNG files and the path must end in .png: {path}", nameof(path));
                CheckImage(image, $"cannot write '{path}'");
                Check(xg_imwrite(path, image.Handle));
            }
        }

        /// <summary>Resizes a (C, H, W) or (H, W) image to (height, width); the result is float32.</summary>
        public static Tensor resize(Tensor image, long height, long width, InterpolationMode interpolation = InterpolationMode.Bilinear)
        {
            if (height <= 0 || width <= 0) throw new ArgumentException($"resize to {height} x {width}: both sizes must be positive");
            CheckImage(image, "resize");
            return new Tensor(xg_image_resize(image.Handle, height, width, (int)interpolation));
        }

        /// <summary>
        /// Colors a (H, W) map with values in [0, 1] (clamped, then quantized to 256 levels as OpenCV does):
        /// returns float32 (3, H, W) RGB in [0, 1].
        /// </summary>
        public static Tensor apply_colormap(Tensor map, Colormap colormap = Colormap.Viridis)
        {
            if (map.dim() != 2) throw new ArgumentException($"apply_colormap takes a (H, W) map, got shape [{string.Join(", ", map.shape)}]", nameof(map));
            return new Tensor(xg_apply_colormap(map.Handle, (int)colormap));
        }

        /// <summary>
        /// Blends a heat map over an image: <c>(1 - alpha) * image + alpha * colormap(heat)</c>, with the heat
        /// first stretched to [0, 1] by its own min and max (a constant map becomes 0) and resized bilinearly to
        /// the image when the sizes differ. <paramref name="heat"/> is (H, W) or (1, H, W); a gray image is
        /// repeated to RGB. Returns float32 (3, H, W).
        /// </summary>
        public static Tensor overlay(Tensor image, Tensor heat, double alpha = 0.5, Colormap colormap = Colormap.Jet)
        {
            if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
            CheckImage(image, "overlay image");
            if (!(heat.dim() == 2 || heat.dim() == 3 && heat.size(0) == 1))
                throw new ArgumentException($"overlay takes a (H, W) or (1, H, W) heat map, got shape [{string.Join(", ", heat.shape)}]", nameof(heat));

            using var scope = NewDisposeScope();
            var rgb = image.to(float32, CPU);
            if (rgb.dim() == 2) rgb = rgb.unsqueeze(0);
            if (rgb.size(0) == 1) rgb = rgb.expand(3, rgb.size(1), rgb.size(2));
            long h = rgb.size(1), w = rgb.size(2);

            var map = heat.to(float32, CPU);
            if (map.dim() == 3) map = map.squeeze(0);
            if (!map.isfinite().all().item<bool>()) throw new ArgumentException("overlay: the heat map has NaN or infinite values", nameof(heat));
            if (map.size(0) != h || map.size(1) != w) map = resize(map, h, w);
            double lo = map.min().item<double>(), hi = map.max().item<double>();
            var unit = hi > lo ? map.sub(lo).div(hi - lo) : zeros_like(map);

            var colored = apply_colormap(unit, colormap);
            return rgb.mul(1 - alpha).add(colored.mul(alpha)).MoveToOuterDisposeScope();
        }

        private static void CheckImage(Tensor image, string what)
        {
            var s = image.shape;
            bool ok = s.Length == 2 || s.Length == 3 && s[0] is 1 or 3;
            if (!ok) throw new ArgumentException($"{what}: an image is (C, H, W) with C = 1 or 3, or (H, W); got shape [{string.Join(", ", s)}]");
        }
    }
}
