using XaiGrid.Explain.Sanity;

namespace XaiGrid.Explain.Tests;

public class SpearmanTests
{
    /// <summary>Average ranks counted directly: 1 + #(smaller) + (#(equal others)) / 2.</summary>
    private static double[] CountedRanks(double[] v) =>
        v.Select(x => 1 + v.Count(y => y < x) + (v.Count(y => y == x) - 1) / 2.0).ToArray();

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double cov = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        return cov / Math.Sqrt(x.Sum(a => (a - mx) * (a - mx)) * y.Sum(b => (b - my) * (b - my)));
    }

    [Fact]
    public void TiesShareTheirAverageRank()
    {
        Assert.Equal(new[] { 1, 2.5, 2.5, 4 }, Spearman.Ranks([1, 2, 2, 3]));
        Assert.Equal(new[] { 1, 4, 2.5, 2.5 }, Spearman.Ranks([1, 3, 2, 2]));
        Assert.Equal(new[] { 3.0, 3, 3, 3, 3 }, Spearman.Ranks([7, 7, 7, 7, 7]));
        Assert.Equal(new[] { 4, 1.5, 4, 1.5, 4 }, Spearman.Ranks([5, -1, 5, -1, 5]));
    }

    [Fact]
    public void CorrelationWithTiesMatchesTheHandValue()
    {
        // Ranks [1, 2.5, 2.5, 4] and [1, 4, 2.5, 2.5], both with mean 2.5: deviations [-1.5, 0, 0, 1.5] and
        // [-1.5, 1.5, 0, 0]; covariance sum 2.25, variance sums 4.5 and 4.5, so rho = 2.25 / 4.5.
        Assert.Equal(0.5, Spearman.Correlation([1, 2, 2, 3], [1, 3, 2, 2]), 15);
        Assert.Equal(1.0, Spearman.Correlation([1, 2, 3, 4], [10, 20, 30, 1000]), 15);
        Assert.Equal(-1.0, Spearman.Correlation([1, 2, 3, 4], [4, 3, 2, 1]), 15);
        Assert.True(double.IsNaN(Spearman.Correlation([1, 2, 3], [5, 5, 5])));
        Assert.Throws<ArgumentException>(() => Spearman.Correlation([1, 2], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Spearman.Correlation([1, double.NaN], [1, 2]));
    }

    [Fact]
    public void CorrelationIsThePearsonCorrelationOfAverageRanks()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = random.Next(2, 60);
            // Few distinct values, so most samples have ties.
            var a = Enumerable.Range(0, n).Select(_ => (double)random.Next(0, 6)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => random.Next(0, 2) == 0 ? a[random.Next(n)] : random.Next(0, 8) / 2.0).ToArray();
            double expected = Pearson(CountedRanks(a), CountedRanks(b));
            double actual = Spearman.Correlation(a, b);
            if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual));
            else Assert.Equal(expected, actual, 12);
        }
    }
}
