using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// Yeast single-cell images in DeepLoc's HDF5 layout (Kraus et al. 2017): <c>data1</c> float64 (N, 8192),
/// two 64x64 channels per cell stored channel-major; <c>Index1</c> uint8 (N, classes), one-hot.
/// </summary>
public static class DeepLoc
{
    /// <summary>The 19 localization classes of the Chong et al. set, in DeepLoc's column order.</summary>
    public static readonly string[] ChongClasses =
    [
        "ACTIN", "BUDNECK", "BUDTIP", "CELLPERIPHERY", "CYTOPLASM", "ENDOSOME", "ER", "GOLGI", "MITOCHONDRIA",
        "NUCLEARPERIPHERY", "NUCLEI", "NUCLEOLUS", "PEROXISOME", "SPINDLE", "SPINDLEPOLE", "VACUOLARMEMBRANE",
        "VACUOLE", "DEAD", "GHOST",
    ];

    public const int Side = 64;

    /// <summary>
    /// Loads a DeepLoc file as (N, 2, S, S) float32 inputs. <paramref name="crop"/> (DeepLoc uses 60) keeps the
    /// centre S x S; <paramref name="stretch"/> maps each cell's channel so its 0.1 and 99.9 percentiles
    /// (numpy's linear rule) become 0 and 1, as DeepLoc does before training.
    /// Class names are the Chong set's when the file has 19 classes, unless given.
    /// </summary>
    public static LabeledDataset Load(string path, int crop = Side, bool stretch = true, IReadOnlyList<string>? classNames = null)
    {
        if (crop <= 0 || crop > Side || (Side - crop) % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(crop), crop, $"crop must be an even-margin size in (0, {Side}]");
        using var file = Hdf5File.Open(path);
        using var raw = file.Read("data1", [-1, 2 * Side * Side]);
        using var onehot = file.Read("Index1", [raw.size(0), -1]);

        long n = raw.size(0), k = onehot.size(1);
        var names = classNames ?? (k == ChongClasses.Length ? ChongClasses : Enumerable.Range(0, (int)k).Select(i => $"class_{i}").ToArray());
        if (names.Count != k) throw new ArgumentException($"{names.Count} class names for {k} classes in {path}");

        double[] pixels;
        using (var raw64 = raw.to(ScalarType.Float64)) pixels = raw64.data<double>().ToArray();
        int margin = (Side - crop) / 2, area = crop * crop;
        var images = new float[n * 2 * area];
        var channel = new double[area];
        for (long i = 0; i < n; i++)
        {
            for (int c = 0; c < 2; c++)
            {
                long source = i * 2 * Side * Side + c * Side * Side;
                for (int y = 0; y < crop; y++)
                for (int x = 0; x < crop; x++)
                    channel[y * crop + x] = pixels[source + (y + margin) * Side + x + margin];
                double low = 0, range = 1;
                if (stretch)
                {
                    var sorted = (double[])channel.Clone();
                    Array.Sort(sorted);
                    low = Percentile(sorted, 0.1);
                    double high = Percentile(sorted, 99.9);
                    if (high > low) range = high - low;
                }
                long target = (i * 2 + c) * area;
                // Divided (not multiplied by 1 / range) to round as numpy's (x - low) / (high - low) does.
                for (int j = 0; j < area; j++) images[target + j] = (float)((channel[j] - low) / range);
            }
        }

        using var labelsOneHot = onehot.to(ScalarType.Float32);
        float[] rowSums;
        using (var sums = labelsOneHot.sum(1)) rowSums = sums.data<float>().ToArray();
        int bad = Array.FindIndex(rowSums, s => s != 1);
        if (bad >= 0) throw new InvalidDataException($"{path}: Index1 row {bad} is not one-hot (its entries sum to {rowSums[bad]})");
        var labels = labelsOneHot.argmax(1);
        return new LabeledDataset(torch.tensor(images, [n, 2, crop, crop]), labels, names);
    }

    /// <summary>numpy.percentile's default ("linear") rule on sorted values, rounded as numpy 1.24 rounds.</summary>
    internal static double Percentile(double[] sorted, double q)
    {
        double position = q / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double t = position - below, a = sorted[below], b = sorted[above], diff = b - a;
        // numpy's _lerp interpolates from the nearer end (from b when t >= 0.5), which can differ from a + t (b - a) in the last bit.
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }
}
