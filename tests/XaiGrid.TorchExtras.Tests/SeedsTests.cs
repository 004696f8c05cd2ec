namespace XaiGrid.TorchExtras.Tests;

/// <summary>
/// Seeds.Rows against the draws it stands for: one new generator per seed making the same draws in the same order
/// (whose numbers FunctionalTests checks against python3-torch).
/// </summary>
public class SeedsTests
{
    [Fact]
    public void RowsHoldTheDrawsOfOneNewGeneratorPerSeed()
    {
        using var scope = torch.NewDisposeScope();
        var seeds = Enumerable.Range(0, 19).Select(s => Seeds.Derive(5, 11, s)).ToArray();
        // Normal draws of 16 or more floats take libtorch's vectorized path, with the last 16 values redrawn when the
        // size is not a multiple of 16; 5 floats take the scalar path; float64 has its own. Integer ranges of 2^32 or
        // more take 64 random bits per draw.
        Seeds.Draw[] draws =
        [
            Seeds.Draw.Uniform([3, 4]),
            Seeds.Draw.Normal([37]),
            Seeds.Draw.Integers(2, 9, [2]),
            Seeds.Draw.Normal([5]),
            Seeds.Draw.Normal([2, 3], ScalarType.Float64),
            Seeds.Draw.Uniform([3], ScalarType.Float64),
            Seeds.Draw.Integers(-5, 1L << 40, [2]),
        ];
        var rows = Seeds.Rows(seeds, draws);
        Assert.Equal([[19L, 3, 4], [19L, 37], [19L, 2], [19L, 5], [19L, 2, 3], [19L, 3], [19L, 2]], rows.Select(r => r.shape));
        Assert.Equal([ScalarType.Float32, ScalarType.Float32, ScalarType.Int64, ScalarType.Float32, ScalarType.Float64, ScalarType.Float64, ScalarType.Int64],
            rows.Select(r => r.dtype));
        for (int k = 0; k < seeds.Length; k++)
        {
            using var g = new torch.Generator(seeds[k]);
            Tensor[] expected =
            [
                torch.rand([3, 4], generator: g),
                torch.randn([37], generator: g),
                torch.randint(2, 9, [2], generator: g),
                torch.randn([5], generator: g),
                torch.randn([2, 3], ScalarType.Float64, generator: g),
                torch.rand([3], ScalarType.Float64, generator: g),
                torch.randint(-5, 1L << 40, [2], generator: g),
            ];
            for (int i = 0; i < draws.Length; i++)
                Assert.Equal(IoTestSupport.Values(expected[i]), IoTestSupport.Values(rows[i][k]));
        }
        Assert.All(IoTestSupport.Values(rows[2]), v => Assert.InRange(v, 2, 8));
    }

    /// <summary>
    /// Rows of only float32 uniforms and integers (RISE's masks, LIME's samples) are drawn in managed code with
    /// libtorch's algorithm: they equal libtorch's own draws from a new generator per seed, bit for bit, including the
    /// 64-bit draws of a range of 2^32 or more and seeds whose high 32 bits differ (libtorch seeds with the low 32).
    /// </summary>
    [Fact]
    public void UniformAndIntegerRowsDrawnInManagedCodeEqualLibtorchsDraws()
    {
        using var scope = torch.NewDisposeScope();
        var seeds = Enumerable.Range(0, 300).Select(s => Seeds.Derive(9, s)).Append(0UL).Append(1UL << 40 | 7).ToArray();
        Seeds.Draw[] draws = [Seeds.Draw.Uniform([7, 7]), Seeds.Draw.Integers(0, 19, [1]), Seeds.Draw.Integers(-3, 1L << 35, [3]), Seeds.Draw.Uniform([700])];
        var rows = Seeds.Rows(seeds, draws);
        for (int k = 0; k < seeds.Length; k++)
        {
            using var g = new torch.Generator(seeds[k]);
            Tensor[] expected =
            [
                torch.rand([7, 7], generator: g),
                torch.randint(0, 19, [1], generator: g),
                torch.randint(-3, 1L << 35, [3], generator: g),
                torch.rand([700], generator: g),
            ];
            for (int i = 0; i < draws.Length; i++)
                Assert.Equal(IoTestSupport.Values(expected[i]), IoTestSupport.Values(rows[i][k]));
        }
    }

    [Fact]
    public void NoSeedsGiveEmptyRowsAndAnEmptyIntegerRangeIsRejected()
    {
        using var scope = torch.NewDisposeScope();
        var rows = Seeds.Rows([], Seeds.Draw.Uniform([4]));
        Assert.Equal([0L, 4], rows[0].shape);
        var e = Assert.Throws<ArgumentException>(() => Seeds.Draw.Integers(3, 3, [1]));
        Assert.Contains("[3, 3)", e.Message);
    }

    /// <summary>
    /// The draws are PyTorch's: python3-torch (1.13) with torch.Generator().manual_seed(seed) makes the same rand,
    /// randn (scalar and vectorized paths) and randint numbers as libtorch 2.10 here, for seeds over 2^63 too.
    /// </summary>
    [Fact]
    public void RowsAreWhatPythonTorchDrawsFromTheSameSeeds()
    {
        using var scope = torch.NewDisposeScope();
        var seeds = Enumerable.Range(0, 3).Select(s => Seeds.Derive(7, 3, s)).ToArray();
        const string script = """
            import json, sys, torch
            out = []
            for s in sys.argv[1:]:
                g = torch.Generator().manual_seed(int(s))
                out.append([torch.rand(5, generator=g).tolist(), torch.randn(37, generator=g).tolist(),
                            torch.randint(0, 10, (4,), generator=g).tolist()])
            print(json.dumps(out))
            """;
        var expected = IoTestSupport.PythonJson(script, seeds.Select(s => s.ToString()).ToArray());
        var rows = Seeds.Rows(seeds, Seeds.Draw.Uniform([5]), Seeds.Draw.Normal([37]), Seeds.Draw.Integers(0, 10, [4]));
        for (int k = 0; k < seeds.Length; k++)
        {
            Assert.Equal(IoTestSupport.Values(expected[k][0]).Select(v => (float)v), rows[0][k].data<float>().ToArray());
            Assert.Equal(IoTestSupport.Values(expected[k][1]).Select(v => (float)v), rows[1][k].data<float>().ToArray());
            Assert.Equal(IoTestSupport.Longs(expected[k][2]), rows[2][k].data<long>().ToArray());
        }
    }
}
