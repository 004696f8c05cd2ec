namespace XaiGrid.Data.Tests;

/// <summary>The default dataset, generated once for the tests that compare against the published files.</summary>
public sealed class DefaultGeneration
{
    public DefaultGeneration()
    {
        var rng = new NumpyRandomState(42);
        Generated = Mnist1DGenerator.Generate(new Mnist1DOptions(), rng);
        DrawCount = rng.DrawCount;
        Published = Mnist1D.Load(Mnist1DTestData.PublishedDir);
    }

    public Mnist1D Generated { get; }

    public long DrawCount { get; }

    public Mnist1D Published { get; }
}

public class Mnist1DGeneratorTests(DefaultGeneration defaults) : IClassFixture<DefaultGeneration>
{
    [Fact]
    public void Template_0_is_the_specs_values_and_every_template_starts_and_ends_at_zero()
    {
        var templates = new Mnist1DTemplates();
        double a = 0.23693955110363696, b = 0.35540932665545544, c = 0.4146442144313647, d = 0.4738791022072739;
        Assert.Equal([0.0, a, b, c, d, d, d, d, c, b, a, 0.0], templates.X[0]);
        Assert.All(templates.X, row =>
        {
            Assert.Equal(12, row.Length);
            Assert.Equal(0.0, row[0]);
            Assert.Equal(0.0, row[^1]);
        });
        Assert.Equal(-5.0 / 6, templates.T[0]);
        Assert.Equal(5.0 / 6, templates.T[^1]);
    }

    [Fact]
    public void Sample_0_draws_the_specs_padding_scale_and_shift_from_343_words()
    {
        var templates = new Mnist1DTemplates();
        var rng = new NumpyRandomState(42);
        var sample = Mnist1DGenerator.Transform(templates.X[0], templates.T, new Mnist1DOptions(), rng);
        Assert.Equal(45, sample.Padding);
        Assert.Equal(1.1802857225639665, sample.Scale);
        Assert.Equal(42, sample.Shift);
        Assert.Equal(343, rng.DrawCount);
        Assert.Equal(40, sample.X.Length);
        Assert.Equal(40, sample.T.Length);
    }

    [Theory]
    [InlineData(36, 60, 1u)]
    [InlineData(10, 20, 2u)]
    [InlineData(5, 5, 3u)]
    public void Padding_is_low_plus_the_first_rand_times_the_inclusive_range(int low, int high, uint seed)
    {
        var templates = new Mnist1DTemplates();
        var options = new Mnist1DOptions { Padding = (low, high) };
        for (int s = 0; s < 20; s++)
        {
            int expected = low + (int)(new NumpyRandomState(seed + (uint)s).rand() * (high - low + 1));
            var sample = Mnist1DGenerator.Transform(templates.X[s % 10], templates.T, options, new NumpyRandomState(seed + (uint)s));
            Assert.Equal(expected, sample.Padding);
            Assert.InRange(sample.Padding, low, high);
        }
    }

    [Fact]
    public void Default_generation_reproduces_the_published_dataset()
    {
        var (gen, pub) = (defaults.Generated, defaults.Published);
        Assert.Equal(pub.TrainY, gen.TrainY);
        Assert.Equal(pub.TestY, gen.TestY);
        Assert.Equal(4000, gen.TrainX.Length);
        Assert.Equal(1000, gen.TestX.Length);
        Assert.InRange(MaxAbsDiff(gen.TrainX, pub.TrainX), 0, 1e-12);
        Assert.InRange(MaxAbsDiff(gen.TestX, pub.TestX), 0, 1e-12);
        Assert.InRange(MaxAbsDiff([gen.T], [pub.T]), 0, 1e-12);
    }

    [Fact]
    public void Default_generation_matches_the_specs_summary_facts()
    {
        var gen = defaults.Generated;
        Assert.Equal(1_875_872, defaults.DrawCount);
        Assert.Equal([2, 6, 4, 5, 6, 6, 6, 0, 3, 1, 6, 9, 4, 3, 4, 5, 1, 9, 0, 3], gen.TrainY[..20]);
        Assert.Equal(2, gen.TestY[0]);
        Assert.Equal(-0.07877078047732886, gen.TestX[0][0], 1e-15);
        Assert.Equal(-0.21073170588642925, gen.TestX[0][1], 1e-15);
        Assert.Equal(-0.09175138109239452, gen.TestX[0][2], 1e-15);
        // t = t40 / sd, and the spec gives sd; t40 starts at the template axis start -5/6.
        Assert.Equal(-5.0 / 6 / 0.15467803420593054, gen.T[0], 1e-13);
    }

    [Fact]
    public void Other_seeds_and_sizes_give_balanced_standardised_splits()
    {
        var options = new Mnist1DOptions { Seed = 7, NumSamples = 1000, ShuffleSeq = true };
        var data = Mnist1DGenerator.Generate(options);
        Assert.Equal(800, data.TrainX.Length);
        Assert.Equal(200, data.TestX.Length);
        Assert.All(data.TrainX.Concat(data.TestX), row => Assert.Equal(40, row.Length));
        Assert.Equal(40, data.T.Length);
        var counts = data.TrainY.Concat(data.TestY).GroupBy(y => y).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(0, 10), counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.Equal(100, c));
        var all = data.TrainX.Concat(data.TestX).SelectMany(r => r).ToArray();
        double mean = all.Average(), std = Math.Sqrt(all.Select(v => (v - mean) * (v - mean)).Average());
        Assert.Equal(0, mean, 1e-12);
        Assert.Equal(1, std, 1e-12);
        Assert.NotEqual(defaults.Generated.TrainY[..100], data.TrainY[..100]);
    }

    [Fact]
    public void Shuffle_seq_permutes_the_columns_of_the_unshuffled_dataset()
    {
        // The column permutation is drawn after everything else, so the rows are the same up to it
        // (and up to the summation order of the standardisation).
        var plain = Mnist1DGenerator.Generate(new Mnist1DOptions { Seed = 7, NumSamples = 500 });
        var shuffled = Mnist1DGenerator.Generate(new Mnist1DOptions { Seed = 7, NumSamples = 500, ShuffleSeq = true });
        Assert.Equal(plain.TrainY, shuffled.TrainY);
        var rows = plain.TrainX.Concat(plain.TestX).ToArray();
        var shuffledRows = shuffled.TrainX.Concat(shuffled.TestX).ToArray();
        var source = new int[40];
        for (int j = 0; j < 40; j++)
        {
            var matches = Enumerable.Range(0, 40)
                .Where(c => rows.Zip(shuffledRows).All(p => Math.Abs(p.First[c] - p.Second[j]) < 1e-12)).ToArray();
            Assert.Single(matches);
            source[j] = matches[0];
        }
        Assert.Equal(Enumerable.Range(0, 40), source.Order());
        Assert.NotEqual(Enumerable.Range(0, 40), source);
        Assert.Equal(plain.T, shuffled.T, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Every_option_is_honoured_including_rolls_longer_than_the_sequence()
    {
        // L = 4 + 10 = 14 < MaxTranslation, so some shifts leave the sequence unrolled, as numpy's slices do.
        var options = new Mnist1DOptions
        {
            NumSamples = 205, TrainSplit = 0.5, TemplateLen = 4, Padding = (3, 10), ScaleCoeff = 0.1, MaxTranslation = 30,
            CorrNoiseScale = 0.5, IidNoiseScale = 0.1, ShearScale = 2, FinalSeqLength = 25, Seed = 123,
        };
        var data = Mnist1DGenerator.Generate(options);
        Assert.Equal(100, data.TrainX.Length);
        Assert.Equal(100, data.TestX.Length);
        Assert.All(data.TrainX.Concat(data.TestX), row => Assert.Equal(25, row.Length));
        Assert.Equal(25, data.T.Length);
        Assert.All(data.TrainX.SelectMany(r => r), v => Assert.True(double.IsFinite(v)));

        var templates = new Mnist1DTemplates();
        var rng = new NumpyRandomState(5);
        for (int i = 0; i < 30; i++)
        {
            var sample = Mnist1DGenerator.Transform(templates.X[i % 10], templates.T, options, rng);
            Assert.InRange(sample.Padding, 3, 10);
            Assert.InRange(sample.Shift, 0, 29);
            Assert.InRange(sample.Scale, 0.95, 1.05);
            Assert.InRange(sample.Shear, -1, 1);
        }
    }

    [Theory]
    [InlineData("NumSamples")]
    [InlineData("TrainSplit")]
    [InlineData("Padding")]
    [InlineData("MaxTranslation")]
    [InlineData("FinalSeqLength")]
    [InlineData("ShearScale")]
    public void Invalid_options_are_rejected_by_name(string field)
    {
        var bad = field switch
        {
            "NumSamples" => new Mnist1DOptions { NumSamples = 9 },
            "TrainSplit" => new Mnist1DOptions { TrainSplit = 1.5 },
            "Padding" => new Mnist1DOptions { Padding = (10, 5) },
            "MaxTranslation" => new Mnist1DOptions { MaxTranslation = 0 },
            "FinalSeqLength" => new Mnist1DOptions { FinalSeqLength = 0 },
            _ => new Mnist1DOptions { ShearScale = double.NaN },
        };
        var e = Assert.Throws<ArgumentException>(() => Mnist1DGenerator.Generate(bad));
        Assert.Contains(field, e.Message);
    }

    private static double MaxAbsDiff(double[][] a, double[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int j = 0; j < a[i].Length; j++) max = Math.Max(max, Math.Abs(a[i][j] - b[i][j]));
        }
        return max;
    }
}
