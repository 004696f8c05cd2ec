using System.Runtime.InteropServices;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// LIME (Ribeiro et al. 2016) on fixed segments: square patches of <see cref="Window"/> x <see cref="Window"/>
/// positions in 2-D, windows of <see cref="Window"/> positions in 1-D (the last ones cut by the input's edge).
/// Sample s of input id is a binary vector z over the segments from <see cref="Seeds.Generator"/>(Seed, id, s),
/// each segment kept with probability 1/2; the perturbed input keeps every channel of the kept segments and sets
/// the rest to <see cref="Baseline"/>; its response is y = p_c. Samples are weighted by LIME's image kernel
/// pi(z) = exp(-d(z)^2 / kernel_width^2), d the cosine distance between z and the all-ones vector (LIME's code takes
/// the square root of this, which is the same kernel with a width sqrt(2) times larger). A linear model
/// y ~ b + sum_j beta_j z_j is fitted by weighted ridge regression (the intercept unpenalized) and each position
/// gets its segment's beta: maps are (N, 1, ...positions).
/// <para>
/// A sample's term is its weighted share of the normal equations, w [x x^T | x y] with x = (1, z): the float64
/// partials of any split of the samples add up to X^T W X and X^T W y, and <see cref="SampledAttribution.Finish"/>
/// solves (X^T W X / n + lambda D) beta = X^T W y / n, D = diag(0, 1, ..., 1). On the averaged equations, lambda
/// = 1e-3 over LIME's 1000 samples is its Ridge(alpha = 1) on the sums. A batch of terms holds
/// MaxBatch (S + 1)(S + 2) float64 for S segments.
/// </para>
/// </summary>
public sealed class Lime(Classifier model, long window, long samples = 1000, double kernelWidth = 0.25, double baseline = 0, double ridge = 1e-3)
    : SampledAttribution(model)
{
    public long Window { get; } = window > 0 ? window : throw new ArgumentOutOfRangeException(nameof(window), window, "LIME needs segments of window >= 1 positions");

    public override long Samples { get; } = samples > 0 ? samples : throw new ArgumentOutOfRangeException(nameof(samples), samples, "LIME needs samples >= 1");

    public double KernelWidth { get; } = kernelWidth > 0 ? kernelWidth : throw new ArgumentOutOfRangeException(nameof(kernelWidth), kernelWidth, "LIME's kernel width must be > 0");

    public double Baseline { get; } = baseline;

    /// <summary>lambda, the ridge penalty on the averaged normal equations; > 0 keeps them solvable when a segment is always kept or always dropped.</summary>
    public double Ridge { get; } = ridge > 0 ? ridge : throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "LIME's ridge penalty must be > 0");

    /// <summary>The segment of every position (row-major) of an input with positions <paramref name="size"/>, and how many segments there are.</summary>
    public (long[] segmentOf, long count) Segments(long[] size)
    {
        if (size.Length is not (1 or 2) || size.Any(h => h < 1))
            throw new ArgumentException($"LIME segments need positions (L) or (H, W) of positive lengths, got [{string.Join(", ", size)}]");
        if (size.Length == 1) return (Enumerable.Range(0, (int)size[0]).Select(i => i / Window).ToArray(), (size[0] + Window - 1) / Window);
        long across = (size[1] + Window - 1) / Window;
        var segmentOf = new long[size[0] * size[1]];
        for (long i = 0; i < size[0]; i++)
            for (long j = 0; j < size[1]; j++)
                segmentOf[i * size[1] + j] = i / Window * across + j / Window;
        return (segmentOf, (size[0] + Window - 1) / Window * across);
    }

    protected override long[] SampleShape(Tensor x)
    {
        long count = Segments(x.shape[1..]).count;
        return [count + 1, count + 2];
    }

    /// <summary>
    /// Everything but the forward pass runs in managed arrays: a block's samples, perturbed inputs and regression
    /// terms are a few hundred thousand numbers, which tensor operations of a few microseconds each took longer to
    /// build than the network took to score them. Each term is the same arithmetic, sample by sample, whatever the block.
    /// </summary>
    protected override Tensor SampleTerms(Tensor x, long target, long id, long start, long end)
    {
        var (segmentOf, count) = Segments(x.shape[1..]);
        int n = (int)(end - start), segments = (int)count, width = segments + 2;
        float[] uniform, input = x.contiguous().to(ScalarType.Float32).data<float>().ToArray();
        using (var draws = Seeds.Rows(SampleSeeds(id, start, end), Seeds.Draw.Uniform([count]))[0]) uniform = draws.data<float>().ToArray();
        // The perturbed inputs and the terms are written straight into their tensors: a block's arrays are over the
        // large-object threshold (a new one per block kept the GC busy) and a pooled one cost a copy into the tensor.
        float[] y;
        using (var batch = torch.empty([n, .. x.shape], ScalarType.Float32))
        {
            var perturbed = MemoryMarshal.Cast<byte, float>(batch.bytes);
            int positions = segmentOf.Length;
            for (int r = 0; r < n; r++)
                for (int channel = 0; channel < input.Length; channel += positions)
                    for (int p = 0; p < positions; p++)
                    {
                        float keep = uniform[r * segments + segmentOf[p]] < 0.5f ? 1f : 0f;
                        perturbed[r * input.Length + channel + p] = input[channel + p] * keep + (1 - keep) * (float)Baseline;
                    }
            using var scores = TargetScores(batch, Enumerable.Repeat(target, n).ToArray(), softmax: true);
            y = scores.to(ScalarType.Float32).data<float>().ToArray();
        }

        var result = torch.empty([n, segments + 1, width], ScalarType.Float64);
        var terms = MemoryMarshal.Cast<byte, double>(result.bytes);
        var row = new double[width];
        for (int r = 0; r < n; r++)
        {
            row[0] = 1;
            double kept = 0;
            for (int j = 0; j < segments; j++) kept += row[j + 1] = uniform[r * segments + j] < 0.5f ? 1 : 0;
            row[width - 1] = y[r];
            // cos(z, 1) = |z|_1 / (sqrt(|z|_1) sqrt(S)) = sqrt(k / S); with nothing kept it is 0, as sklearn's cosine distance.
            double distance = 1 - Math.Sqrt(kept / segments);
            double weight = Math.Exp(-(distance * distance) / (KernelWidth * KernelWidth));
            int offset = r * (segments + 1) * width;
            for (int a = 0; a <= segments; a++)
                for (int b = 0; b < width; b++) terms[offset + a * width + b] = weight * row[a] * row[b];
        }
        return result;
    }

    protected override Tensor Scale(Tensor mean, long[] inputShape)
    {
        var (segmentOf, count) = Segments(inputShape[1..]);
        var statistics = mean.data<double>().ToArray();
        int m = (int)count + 1;
        var a = new double[m, m];
        var b = new double[m];
        for (int r = 0; r < m; r++)
        {
            for (int c = 0; c < m; c++) a[r, c] = statistics[r * (m + 1) + c];
            b[r] = statistics[r * (m + 1) + m];
            if (r > 0) a[r, r] += Ridge;
        }
        var beta = SolveCholesky(a, b);
        var map = segmentOf.Select(segment => beta[segment + 1]).ToArray();
        return torch.tensor(map, [1, .. inputShape[1..]]);
    }

    /// <summary>Solves A x = b for symmetric positive definite A (the ridge and the positive kernel weights make it so).</summary>
    private static double[] SolveCholesky(double[,] a, double[] b)
    {
        int m = b.Length;
        var l = new double[m, m];
        for (int j = 0; j < m; j++)
        {
            double diagonal = a[j, j];
            for (int k = 0; k < j; k++) diagonal -= l[j, k] * l[j, k];
            if (!(diagonal > 0)) throw new InvalidOperationException($"LIME's normal equations are not positive definite (pivot {j} is {diagonal})");
            l[j, j] = Math.Sqrt(diagonal);
            for (int i = j + 1; i < m; i++)
            {
                double v = a[i, j];
                for (int k = 0; k < j; k++) v -= l[i, k] * l[j, k];
                l[i, j] = v / l[j, j];
            }
        }
        var y = new double[m];
        for (int i = 0; i < m; i++)
        {
            double v = b[i];
            for (int k = 0; k < i; k++) v -= l[i, k] * y[k];
            y[i] = v / l[i, i];
        }
        var x = new double[m];
        for (int i = m - 1; i >= 0; i--)
        {
            double v = y[i];
            for (int k = i + 1; k < m; k++) v -= l[k, i] * x[k];
            x[i] = v / l[i, i];
        }
        return x;
    }
}
