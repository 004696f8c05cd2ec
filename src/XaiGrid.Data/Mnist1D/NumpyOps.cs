namespace XaiGrid.Data;

/// <summary>
/// The numpy and scipy routines the reference generator calls, with their exact summation orders, so that the port
/// agrees with the published data to the last bit or two rather than merely to a tolerance.
/// </summary>
internal static class NumpyOps
{
    private const int PairwiseBlock = 128;

    /// <summary>numpy's buffer size: a reduction hands its inner loop at most this many elements at a time.</summary>
    private const int ReduceChunk = 8192;

    /// <summary>
    /// <c>np.sum</c> of a contiguous float64 array: pairwise summation within chunks of 8192 elements, the chunk sums
    /// added one after another.
    /// </summary>
    public static double sum(ReadOnlySpan<double> a)
    {
        double total = 0.0;
        for (int start = 0; start < a.Length; start += ReduceChunk)
            total += pairwise_sum(a.Slice(start, Math.Min(ReduceChunk, a.Length - start)));
        return total;
    }

    /// <summary>numpy's pairwise summation, the add-reduce inner loop over one contiguous run.</summary>
    private static double pairwise_sum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= PairwiseBlock)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise_sum(a[..n2]) + pairwise_sum(a[n2..]);
    }

    public static double mean(ReadOnlySpan<double> a) => sum(a) / a.Length;

    /// <summary>Population standard deviation (ddof = 0) computed as <c>np.std</c> does: mean, squared deviations, their sum.</summary>
    public static double std(ReadOnlySpan<double> a)
    {
        double mu = mean(a);
        var sq = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - mu;
            sq[i] = d * d;
        }
        return Math.Sqrt(sum(sq) / a.Length);
    }

    /// <summary><c>np.linspace(start, stop, n)</c>: <c>i*step + start</c>, with the last point set to stop exactly.</summary>
    public static double[] linspace(double start, double stop, int n)
    {
        var y = new double[n];
        if (n == 1) y[0] = start;
        if (n < 2) return y;
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) y[i] = i * step + start;
        y[n - 1] = stop;
        return y;
    }

    /// <summary><c>np.interp(q, xp, fp)</c> for increasing xp and queries inside [xp[0], xp[last]] (clamped outside).</summary>
    public static double[] interp(double[] q, double[] xp, double[] fp)
    {
        int last = xp.Length - 1;
        var y = new double[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            double v = q[i];
            if (v >= xp[last]) { y[i] = fp[last]; continue; }
            if (v < xp[0]) { y[i] = fp[0]; continue; }
            // Largest j with xp[j] <= v; v < xp[last] guarantees j < last.
            int lo = 0, hi = last;
            while (hi - lo > 1)
            {
                int mid = (lo + hi) >>> 1;
                if (xp[mid] <= v) lo = mid; else hi = mid;
            }
            if (xp[lo] == v) { y[i] = fp[lo]; continue; }
            double slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
            y[i] = slope * (v - xp[lo]) + fp[lo];
        }
        return y;
    }

    /// <summary>
    /// The reference's <c>interpolate(x, n)</c>: <c>scipy.interpolate.interp1d(linspace(0,1,len(x)), x)(linspace(0,1,n))</c>,
    /// which for 1-D float64 data is <c>np.interp</c>.
    /// </summary>
    public static double[] interpolate(double[] x, int n) =>
        interp(linspace(0, 1, n), linspace(0, 1, x.Length), x);

    /// <summary>
    /// Normalised taps of <c>scipy.ndimage.gaussian_filter1d</c> (truncate 4): index d holds the weight at offset ±d.
    /// The normalising sum is numpy's sum over the taps from -radius to radius.
    /// </summary>
    public static double[] gaussian_taps(double sigma)
    {
        int radius = (int)(4.0 * sigma + 0.5);
        double c = -0.5 / (sigma * sigma);
        var full = new double[2 * radius + 1];
        for (int k = -radius; k <= radius; k++) full[k + radius] = Math.Exp(c * (k * k));
        double total = sum(full);
        var taps = new double[radius + 1];
        for (int d = 0; d <= radius; d++) taps[d] = full[d + radius] / total;
        return taps;
    }

    /// <summary>
    /// <c>scipy.ndimage.gaussian_filter(x, sigma)</c> for 1-D x in the default 'reflect' mode (half-sample symmetric,
    /// <c>d c b a | a b c d | d c b a</c>), summed as scipy's symmetric-kernel path does: centre first, then the
    /// mirrored pairs from the outermost offset inwards.
    /// </summary>
    public static double[] gaussian_filter(double[] x, double sigma)
    {
        var w = gaussian_taps(sigma);
        int radius = w.Length - 1, n = x.Length;
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double acc = x[i] * w[0];
            for (int d = radius; d >= 1; d--)
                acc += (x[Reflect(i - d, n)] + x[Reflect(i + d, n)]) * w[d];
            y[i] = acc;
        }
        return y;
    }

    /// <summary>Half-sample symmetric extension with period 2n, which is what scipy's line extension produces for any reach.</summary>
    private static int Reflect(int i, int n)
    {
        int period = 2 * n;
        int m = ((i % period) + period) % period;
        return m < n ? m : period - 1 - m;
    }
}
