namespace XaiGrid.Data;

/// <summary>One transformed template, with the random choices that shaped it.</summary>
/// <param name="X">The sequence, <c>FinalSeqLength</c> long, before dataset standardisation.</param>
/// <param name="T">The template time axis carried through the same dilation and subsampling.</param>
/// <param name="Padding">Zeros appended to the template.</param>
/// <param name="Scale">Amplitude factor.</param>
/// <param name="Shift">Right roll in working-length samples.</param>
/// <param name="Shear">Coefficient of the subtracted linear ramp.</param>
public sealed record Mnist1DSample(double[] X, double[] T, int Padding, double Scale, int Shift, double Shear);

/// <summary>
/// A port of the reference MNIST-1D generator (Greydanus 2020, Apache-2.0; see docs/mnist1d-spec.md): same random
/// draws in the same order and the same floating-point operations, so the defaults regenerate the published data.
/// </summary>
public static class Mnist1DGenerator
{
    /// <summary>Added to every template point so that only the padding is exactly zero (and gets correlated noise).</summary>
    private const double Eps = 1e-8;

    private const double CorrNoiseSigma = 2.0;

    /// <summary>The reference <c>make_dataset(args)</c>.</summary>
    public static Mnist1D Generate(Mnist1DOptions? options = null)
    {
        options ??= new Mnist1DOptions();
        options.Validate();
        return Generate(options, new NumpyRandomState(options.Seed));
    }

    /// <summary>Generates from an already seeded <paramref name="rng"/>, which lets a caller count the words drawn.</summary>
    internal static Mnist1D Generate(Mnist1DOptions options, NumpyRandomState rng)
    {
        var templates = new Mnist1DTemplates();
        int perClass = options.NumSamples / Mnist1DTemplates.NumClasses;
        int total = perClass * Mnist1DTemplates.NumClasses;
        var xs = new double[total][];
        var ys = new int[total];
        double[] t = [];
        for (int label = 0, row = 0; label < Mnist1DTemplates.NumClasses; label++)
            for (int e = 0; e < perClass; e++, row++)
            {
                var sample = Transform(templates.X[label], templates.T, options, rng);
                xs[row] = sample.X;
                ys[row] = label;
                t = sample.T;
            }

        var perm = rng.permutation(total);
        xs = Array.ConvertAll(perm, i => xs[i]);
        ys = Array.ConvertAll(perm, i => ys[i]);
        if (options.ShuffleSeq)
        {
            var cols = rng.permutation(options.FinalSeqLength);
            xs = Array.ConvertAll(xs, row => Array.ConvertAll(cols, c => row[c]));
        }

        int len = options.FinalSeqLength;
        var flat = new double[total * len];
        for (int i = 0; i < total; i++) xs[i].CopyTo(flat, i * len);
        double mu = NumpyOps.mean(flat), sd = NumpyOps.std(flat);
        var tOut = Array.ConvertAll(t, v => v / sd);
        foreach (var row in xs)
            for (int j = 0; j < len; j++) row[j] = (row[j] - mu) / sd;

        int split = (int)(total * options.TrainSplit);
        return new Mnist1D(xs[..split], ys[..split], xs[split..], ys[split..], tOut);
    }

    /// <summary>
    /// The reference <c>transform(x, t, args)</c>: pad, dilate, scale, translate, correlated noise in the zeros, iid
    /// noise, shear, subsample. Draws 3 <c>rand()</c>, 1 <c>choice</c> and 2 × WorkingLength <c>randn()</c>, in that order.
    /// </summary>
    /// <remarks>
    /// The spec's numbers are the defaults of these expressions from the reference code: 25 in <c>36 + int(rand()*25)</c>
    /// is <c>Padding.High - Padding.Low + 1</c>; 72 is <c>WorkingLength = TemplateLen + Padding.High</c> (so 144 randn is
    /// 2 × 72); 48 is <c>MaxTranslation</c>; 40 is <c>FinalSeqLength</c>. The filter's sigma 2 and eps 1e-8 are
    /// constants in the reference, not arguments.
    /// </remarks>
    public static Mnist1DSample Transform(double[] x, double[] t, Mnist1DOptions options, NumpyRandomState rng)
    {
        int L = options.WorkingLength;
        var (low, high) = options.Padding;
        int p = low + (int)(rng.rand() * (high - low + 1));
        var padded = new double[x.Length + p];
        for (int i = 0; i < x.Length; i++) padded[i] = x[i] + Eps;
        var dilated = NumpyOps.interpolate(padded, L);
        var tL = NumpyOps.interpolate(t, L);

        double scale = 1 + options.ScaleCoeff * (rng.rand() - 0.5);
        for (int i = 0; i < L; i++) dilated[i] *= scale;

        int k = rng.choice(options.MaxTranslation);
        var v = Roll(dilated, k);

        var noise = new double[L];
        for (int i = 0; i < L; i++) noise[i] = options.CorrNoiseScale * rng.randn();
        noise = NumpyOps.gaussian_filter(noise, CorrNoiseSigma);
        for (int i = 0; i < L; i++)
            if (v[i] == 0) v[i] = noise[i];
        for (int i = 0; i < L; i++) v[i] += options.IidNoiseScale * rng.randn();

        double shear = options.ShearScale * (rng.rand() - 0.5);
        var ramp = NumpyOps.linspace(-0.5, 0.5, L);
        for (int i = 0; i < L; i++) v[i] -= shear * ramp[i];

        return new Mnist1DSample(
            NumpyOps.interpolate(v, options.FinalSeqLength), NumpyOps.interpolate(tL, options.FinalSeqLength),
            p, scale, k, shear);
    }

    /// <summary>
    /// <c>concat(x[-k:], x[:-k])</c> with numpy's slice rules: a right roll by k for 0 &lt; k &lt; len, and no change for
    /// k = 0 (<c>x[-0:]</c> is all of x) or k ≥ len (the slice clamps to all of x).
    /// </summary>
    private static double[] Roll(double[] x, int k)
    {
        int n = x.Length;
        int start = k == 0 || k >= n ? 0 : n - k;
        var y = new double[n];
        for (int i = 0; i < n; i++) y[i] = x[(start + i) % n];
        return y;
    }
}
