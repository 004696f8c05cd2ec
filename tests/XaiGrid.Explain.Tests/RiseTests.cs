using System.Text.Json;
using Xunit.Abstractions;
using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// RISE masks and maps computed by python3-torch from the definition of DESIGN.md §4, with generators seeded by
/// <see cref="Seeds.Derive"/>(seed, id, i): PyTorch's CPU generator draws the same numbers as libtorch's.
/// </summary>
public sealed class RiseReference : IDisposable
{
    public const ulong Seed = 42;
    public const long MaskId = 5, MaskStart = 3, MaskEnd = 9, MapMasks = 300, MapCells = 5;
    public const double MapP1 = 0.4;
    public static readonly long[] MapIds = [7, 8, 9];
    public static readonly (long[] size, long cells, double p1)[] MaskCases = [([20, 13], 4, 0.3), ([40], 6, 0.5)];

    private const string Script = ModelFiles.PythonModels + """
        out = sys.argv[1]
        with open(f'{out}/cases.json') as f:
            cases = json.load(f)

        def mask(seed, size, s, p1):
            g = torch.Generator().manual_seed(seed)
            grid = (torch.rand((s,) * len(size), generator=g) < p1).float()
            cell = [-(-h // s) for h in size]
            offsets = [int(torch.randint(0, c, (1,), generator=g)) for c in cell]
            mode = 'linear' if len(size) == 1 else 'bilinear'
            m = F.interpolate(grid[None, None], size=[(s + 1) * c for c in cell], mode=mode, align_corners=False)[0]
            for axis, (o, h) in enumerate(zip(offsets, size)):
                m = m.narrow(axis + 1, o, h)
            return m

        for k, case in enumerate(cases['masks']):
            np.save(f'{out}/masks-{k}.npy', torch.stack([mask(s, case['size'], case['cells'], case['p1']) for s in case['seeds']]).numpy())

        model = load_model(Mnist1DCnn, f'{out}/mnist1d-cnn.safetensors')
        x = torch.from_numpy(np.load(f'{out}/x.npy'))
        m = cases['map']
        maps = []
        with torch.no_grad():
            for i, seeds in enumerate(m['seeds']):
                total = torch.zeros((1, x.shape[2]), dtype=torch.float64)
                for s in seeds:
                    mk = mask(s, [x.shape[2]], m['cells'], m['p1'])
                    p = F.softmax(model((x[i] * mk)[None]), 1)[0, m['targets'][i]]
                    total += p.double() * mk.double()
                maps.append(total / (len(seeds) * m['p1']))
        np.save(f'{out}/maps.npy', torch.stack(maps).numpy())
        """;

    private readonly TempDir dir = new();

    public RiseReference()
    {
        using (var g = new torch.Generator(8)) Model = ModelZoo.Create("mnist1d-cnn", generator: g);
        (Inputs, Targets) = TestData.Mnist1DTest(10, MapIds.Length);
        ModelFiles.Save(Model, dir.File("mnist1d-cnn.safetensors"));
        Npy.save(dir.File("x.npy"), Inputs);
        var cases = new
        {
            masks = MaskCases.Select(c => new
            {
                size = c.size, cells = c.cells, p1 = c.p1,
                seeds = Range(MaskStart, MaskEnd).Select(i => Seeds.Derive(Seed, MaskId, i)).ToArray(),
            }),
            map = new
            {
                cells = MapCells, p1 = MapP1, targets = Targets,
                seeds = MapIds.Select(id => Range(0, MapMasks).Select(i => Seeds.Derive(Seed, id, i)).ToArray()),
            },
        };
        File.WriteAllText(dir.File("cases.json"), JsonSerializer.Serialize(cases));
        TestData.Python(Script, dir.Path);
    }

    private static IEnumerable<long> Range(long start, long end)
    {
        for (long i = start; i < end; i++) yield return i;
    }

    public Classifier Model { get; }

    public Tensor Inputs { get; }

    public long[] Targets { get; }

    public Tensor Masks(int caseIndex) => Npy.load(dir.File($"masks-{caseIndex}.npy"));

    public Tensor Maps() => Npy.load(dir.File("maps.npy"));

    public void Dispose()
    {
        Model.Dispose();
        Inputs.Dispose();
        dir.Dispose();
    }
}

public class RiseTests(RiseReference reference, ITestOutputHelper output) : IClassFixture<RiseReference>
{
    [Fact]
    public void MasksAreTheDefinitionsDrawnInPyTorch()
    {
        for (int k = 0; k < RiseReference.MaskCases.Length; k++)
        {
            var (size, cells, p1) = RiseReference.MaskCases[k];
            var rise = new Rise(reference.Model, cells: cells, p1: p1) { Seed = RiseReference.Seed };
            using var masks = rise.Masks(size, RiseReference.MaskId, RiseReference.MaskStart, RiseReference.MaskEnd);
            Assert.Equal([RiseReference.MaskEnd - RiseReference.MaskStart, 1, .. size], masks.shape);
            using var expected = reference.Masks(k);
            TestData.AssertClose(expected, masks, 1e-6, $"masks of size [{string.Join(", ", size)}]");
        }
    }

    [Fact]
    public void MapEqualsTheDefinitionComputedInPyTorch()
    {
        var rise = new Rise(reference.Model, RiseReference.MapMasks, RiseReference.MapCells, RiseReference.MapP1) { Seed = RiseReference.Seed, MaxBatch = 64 };
        using var maps = rise.Attribute(reference.Inputs, reference.Targets, RiseReference.MapIds);
        Assert.Equal([RiseReference.MapIds.Length, 1L, 40], maps.shape);
        using var expected = reference.Maps();
        double worst = TestData.AssertClose(expected, maps, 1e-5, "RISE maps");
        output.WriteLine($"largest relative difference from python: {worst:E2}");
    }

    [Fact]
    public void MapsDoNotDependOnTheBatchSize()
    {
        var maps = new[] { 1, 7, 128 }.Select(b =>
            new Rise(reference.Model, n: 150, cells: 5) { Seed = 3, MaxBatch = b }.Attribute(reference.Inputs, reference.Targets)).ToList();
        try
        {
            TestData.AssertClose(maps[2], maps[0], 1e-6, "MaxBatch 1 vs 128");
            TestData.AssertClose(maps[2], maps[1], 1e-6, "MaxBatch 7 vs 128");
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }

    [Fact]
    public void PartialsOfAnySplitMergeToTheOneShotSums()
    {
        const long n = 200;
        var rise = new Rise(reference.Model, n, cells: 6) { Seed = 9, MaxBatch = 16 };
        var whole = rise.AttributePartial(reference.Inputs, reference.Targets, RiseReference.MapIds, 0, n);
        var random = new Random(4);
        for (int trial = 0; trial < 8; trial++)
        {
            int parts = trial + 1;
            var cuts = Enumerable.Range(0, parts - 1).Select(_ => (long)random.Next(1, (int)n)).Append(0).Append(n).Distinct().Order().ToArray();
            var pieces = cuts.Zip(cuts.Skip(1)).Select(r => rise.AttributePartial(reference.Inputs, reference.Targets, RiseReference.MapIds, r.First, r.Second)).ToList();
            // Merged in a shuffled order: Merge puts them back in range order.
            var shuffled = pieces.OrderBy(_ => random.Next()).ToList();
            for (int i = 0; i < whole.Length; i++)
            {
                var merged = Partial.Merge(shuffled.Select(p => p[i]));
                Assert.Equal(n, merged.Count);
                double scale = whole[i].Sum.Max(Math.Abs);
                for (int j = 0; j < merged.Sum.Length; j++)
                    Assert.True(Math.Abs(merged.Sum[j] - whole[i].Sum[j]) <= 1e-9 * scale,
                        $"split [{string.Join(", ", cuts)}], input {i}, position {j}: {merged.Sum[j]:R} vs {whole[i].Sum[j]:R}");
            }
        }
        using var maps = rise.Attribute(reference.Inputs, reference.Targets, RiseReference.MapIds);
        for (int i = 0; i < whole.Length; i++)
        {
            using var finished = rise.Finish(whole[i], reference.Inputs.shape[1..]);
            using var map = maps[i];
            TestData.AssertClose(map.unsqueeze(0), finished.unsqueeze(0), 1e-7, $"Finish of input {i}");
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void MasksHaveTheDocumentedShapeAndKeepAboutP1(double p1)
    {
        var rise = new Rise(reference.Model, cells: 7, p1: p1) { Seed = 11 };
        using var masks = rise.Masks([150, 150], 0, 0, 300);
        Assert.Equal([300L, 1, 150, 150], masks.shape);
        var values = TestData.Values(masks);
        // Float32 interpolation can overshoot 1 by an ulp.
        Assert.All(new[] { values.Min(), values.Max() }, v => Assert.InRange(v, 0, 1 + 1e-6));
        // Every upsampled value is a convex combination of Bernoulli(p1) cells, so its mean is p1.
        Assert.InRange(values.Average(), p1 - 0.015, p1 + 0.015);
        using var line = rise.Masks([40], 0, 0, 500);
        Assert.Equal([500L, 1, 40], line.shape);
        Assert.InRange(TestData.Values(line).Average(), p1 - 0.02, p1 + 0.02);
    }

    [Fact]
    public void TheSeedChangesTheMapAndOnlyTheSeed()
    {
        Tensor Map(ulong seed) => new Rise(reference.Model, n: 100, cells: 5) { Seed = seed }.Attribute(reference.Inputs, reference.Targets);
        using var a = Map(1);
        using var again = Map(1);
        using var b = Map(2);
        Assert.Equal(TestData.Values(a), TestData.Values(again));
        double[] va = TestData.Values(a), vb = TestData.Values(b);
        double difference = va.Zip(vb, (x, y) => Math.Abs(x - y)).Max() / va.Max(Math.Abs);
        Assert.True(difference > 1e-2, $"seeds 1 and 2 give maps within {difference:E2} of each other");
    }

    [Fact]
    public void RanksTheOnlyRegionTheModelSeesFirst()
    {
        using var model = new RegionModel();
        using var g = new torch.Generator(2);
        using var x = torch.rand([2, 3, RegionModel.Side, RegionModel.Side], generator: g) + 0.1;
        using var maps = new Rise(model, n: 2000, cells: 8) { Seed = 5 }.Attribute(x, [0, 0]);
        Assert.Equal([2L, 1, RegionModel.Side, RegionModel.Side], maps.shape);
        for (int i = 0; i < 2; i++)
        {
            using var map = maps[i];
            Assert.All(TestData.TopPositions(map, 40), p => Assert.True(RegionModel.Inside(p), $"map {i}: top position {p} is outside the region"));
        }
    }

    /// <summary>
    /// Masks are made per batch, so memory depends on MaxBatch and the tile, not on N: the peak is set by one batch of
    /// MaxBatch masked tiles through vgg7. N = 256 in batches of 32 keeps the test short on 2 cores (a one-off run with
    /// N = 8000 in batches of 128 peaked 867 MB above the start).
    /// </summary>
    [Fact]
    [Trait("Category", "Memory")]
    public void ManyMasksOnAFullHmtTileRunInBoundedMemory()
    {
        const long n = 256;
        using var g = new torch.Generator(12);
        using var model = ModelZoo.Create("vgg7", generator: g);
        using var tile = TestData.HmtTile("02_STROMA");
        using var x = tile.unsqueeze(0);
        long before = PeakResidentKilobytes();
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var map = new Rise(model, n) { Seed = 1, MaxBatch = 32 }.Attribute(x);
        long after = PeakResidentKilobytes();
        output.WriteLine($"RISE N = {n} on a 150 x 150 tile: peak RSS {before / 1024} MB before, {after / 1024} MB after, {started.Elapsed.TotalSeconds:F1} s");
        Assert.Equal([1L, 1, 150, 150], map.shape);
        Assert.All(TestData.Values(map), v => Assert.True(double.IsFinite(v) && v >= 0));
        Assert.True(after - before < 1024L * 1024, $"peak RSS grew by {(after - before) / 1024} MB");
    }

    private static long PeakResidentKilobytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
