namespace XaiGrid.Data;

/// <summary>The ten hand-drawn digit templates of the reference (<c>get_templates</c>), built without randomness.</summary>
public sealed class Mnist1DTemplates
{
    public const int NumClasses = 10;

    private static readonly double[][] Raw =
    [
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
    ];

    /// <summary>Row y is the template of digit y: whitened, shifted to start (and end) at 0, divided by 6.</summary>
    public double[][] X { get; }

    /// <summary>The template time axis <c>linspace(-5, 5, 12) / 6</c>.</summary>
    public double[] T { get; }

    public Mnist1DTemplates()
    {
        X = new double[Raw.Length][];
        for (int d = 0; d < Raw.Length; d++)
        {
            var x = (double[])Raw[d].Clone();
            double mu = NumpyOps.mean(x);
            for (int i = 0; i < x.Length; i++) x[i] -= mu;
            double sd = NumpyOps.std(x);
            for (int i = 0; i < x.Length; i++) x[i] /= sd;
            // numpy copies the overlapping operand x[:, :1] first, so every point is shifted by the original x[0].
            double first = x[0];
            for (int i = 0; i < x.Length; i++) x[i] -= first;
            for (int i = 0; i < x.Length; i++) x[i] /= 6.0;
            X[d] = x;
        }
        T = NumpyOps.linspace(-5, 5, Raw[0].Length);
        for (int i = 0; i < T.Length; i++) T[i] /= 6.0;
    }
}
