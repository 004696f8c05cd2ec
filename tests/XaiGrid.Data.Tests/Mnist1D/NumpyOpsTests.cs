using System.Globalization;

namespace XaiGrid.Data.Tests;

public class NumpyOpsTests
{
    [Fact]
    public void Gaussian_taps_for_sigma_2_are_the_specs_normalised_weights()
    {
        double[] spec =
        [
            0.199474647864745, 0.17603575888479037, 0.12098748976534904, 0.06475993660472744, 0.026995957967298846,
            0.00876430436278587, 0.002215963172596555, 0.0004363490205067883, 6.691628957263553e-05,
        ];
        Assert.Equal(spec, NumpyOps.gaussian_taps(2.0));
    }

    [Fact]
    public void Gaussian_filter_of_an_impulse_at_the_edge_folds_the_kernel_back_by_half_sample_reflection()
    {
        // With x = e0, reflect mode puts a mirror copy of x[0] at index -1, so out[i] = w[i] + w[i+1] (w[9] = 0).
        var w = NumpyOps.gaussian_taps(2.0);
        var x = new double[20];
        x[0] = 1;
        var y = NumpyOps.gaussian_filter(x, 2.0);
        for (int i = 0; i < 20; i++)
        {
            double expected = (i <= 8 ? w[i] : 0) + (i + 1 <= 8 ? w[i + 1] : 0);
            Assert.Equal(expected, y[i], 1e-17);
        }
    }

    [Fact]
    public void Gaussian_filter_matches_numpy_symmetric_padding_even_when_the_signal_is_shorter_than_the_kernel()
    {
        // np.pad 'symmetric' is scipy's 'reflect'; a 5-point signal needs the extension to wrap more than once.
        double[] x = [0.3, -1.2, 2.5, 0.7, -0.4];
        var script = $"""
            import numpy as np
            x = np.array([{string.Join(",", x.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}])
            k = np.arange(-8, 9)
            w = np.exp(-0.5 / 4.0 * k ** 2)
            w = w / w.sum()
            p = np.pad(x, 8, mode='symmetric')
            print(' '.join(repr(float(np.dot(p[i:i + 17], w))) for i in range(len(x))))
            """;
        var expected = Mnist1DTestData.RunNumpy(script).Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var actual = NumpyOps.gaussian_filter(x, 2.0);
        for (int i = 0; i < x.Length; i++) Assert.Equal(expected[i], actual[i], 1e-15);
    }

    [Fact]
    public void Sum_matches_numpy_bit_for_bit()
    {
        // Values spanning many magnitudes make every summation order give a different double.
        // 200,000 spans many of numpy's 8192-element reduction chunks.
        int[] sizes = [5, 17, 128, 300, 200_000];
        var rng = new Random(3);
        var arrays = sizes.Select(n => Enumerable.Range(0, n).Select(_ => Math.Pow(10, rng.Next(-8, 9)) * (rng.NextDouble() - 0.5)).ToArray()).ToArray();
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, arrays.SelectMany(a => a).SelectMany(BitConverter.GetBytes).ToArray());
            var script = $"""
                import numpy as np
                a = np.fromfile('{path}', dtype='<f8')
                sizes = [{string.Join(",", sizes)}]
                starts = np.cumsum([0] + sizes)
                print(' '.join(repr(float(a[s:s + n].sum())) for s, n in zip(starts, sizes)))
                """;
            var numpy = Mnist1DTestData.RunNumpy(script).Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(numpy, arrays.Select(a => NumpyOps.sum(a)).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Linspace_sets_the_end_exactly_and_steps_from_the_start()
    {
        var y = NumpyOps.linspace(-5, 5, 12);
        Assert.Equal(-5.0, y[0]);
        Assert.Equal(5.0, y[11]);
        Assert.Equal(3 * (10.0 / 11) - 5, y[3]);
        Assert.Equal([2.0], NumpyOps.linspace(2, 7, 1));
    }

    [Fact]
    public void Interpolate_is_piecewise_linear_and_hits_the_knots_exactly()
    {
        // Knots at 0, 0.25, 0.5, 0.75, 1 and queries at multiples of 1/8: odd queries are midpoints.
        Assert.Equal([0, 0.5, 1, 2.5, 4, 6.5, 9, 12.5, 16], NumpyOps.interpolate([0, 1, 4, 9, 16], 9));
        Assert.Equal([0, 16], NumpyOps.interpolate([0, 1, 4, 9, 16], 2));
    }
}
