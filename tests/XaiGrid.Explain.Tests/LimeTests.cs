using System.Text.Json;
using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// LIME maps of seeded mnist1d-cnn on MNIST-1D test sequences, computed by python3-torch and numpy from the
/// definition: segment vectors drawn from generators seeded by <see cref="Seeds.Derive"/>(seed, id, s), p_c of the
/// perturbed inputs, the cosine-distance kernel, and the ridge fit solved by least squares on the sqrt(w)-scaled
/// design with sqrt(n lambda) penalty rows (not through the normal equations).
/// </summary>
public sealed class LimeReference : IDisposable
{
    public const ulong Seed = 17;
    public const long Window = 4, Samples = 400;
    public const double KernelWidth = 0.4, Baseline = -0.5, Ridge = 1e-3;
    public static readonly long[] Ids = [3, 1, 4];

    private const string Script = ModelFiles.PythonModels + """
        out = sys.argv[1]
        with open(f'{out}/cases.json') as f:
            case = json.load(f)
        model = load_model(Mnist1DCnn, f'{out}/mnist1d-cnn.safetensors')
        x = torch.from_numpy(np.load(f'{out}/x.npy'))
        length = x.shape[2]
        segment = np.arange(length) // case['window']
        count = segment.max() + 1
        maps = []
        with torch.no_grad():
            for i, seeds in enumerate(case['seeds']):
                z = np.stack([(torch.rand(count, generator=torch.Generator().manual_seed(s)) < 0.5).double().numpy() for s in seeds])
                keep = torch.from_numpy(z[:, segment]).float()[:, None, :]
                perturbed = x[i][None] * keep + (1 - keep) * case['baseline']
                y = F.softmax(model(perturbed), 1)[:, case['targets'][i]].double().numpy()
                norms = np.linalg.norm(z, axis=1)
                cosine = np.where(norms > 0, z.sum(1) / np.maximum(norms, 1e-300) / np.sqrt(count), 0.0)
                w = np.exp(-(1 - cosine) ** 2 / case['kernel_width'] ** 2)
                n = len(seeds)
                design = np.hstack([np.ones((n, 1)), z]) * np.sqrt(w)[:, None]
                penalty = np.hstack([np.zeros((count, 1)), np.sqrt(n * case['ridge']) * np.eye(count)])
                beta = np.linalg.lstsq(np.vstack([design, penalty]), np.concatenate([y * np.sqrt(w), np.zeros(count)]), rcond=None)[0]
                maps.append(beta[1:][segment][None])
        np.save(f'{out}/maps.npy', np.stack(maps))
        """;

    private readonly TempDir dir = new();

    public LimeReference()
    {
        using (var g = new torch.Generator(21)) Model = ModelZoo.Create("mnist1d-cnn", generator: g);
        (Inputs, Targets) = TestData.Mnist1DTest(20, Ids.Length);
        ModelFiles.Save(Model, dir.File("mnist1d-cnn.safetensors"));
        Npy.save(dir.File("x.npy"), Inputs);
        var seeds = Ids.Select(id => Enumerable.Range(0, (int)Samples).Select(s => Seeds.Derive(Seed, id, s)).ToArray());
        var @case = new { window = Window, baseline = Baseline, kernel_width = KernelWidth, ridge = Ridge, targets = Targets, seeds };
        File.WriteAllText(dir.File("cases.json"), JsonSerializer.Serialize(@case));
        TestData.Python(Script, dir.Path);
    }

    public Classifier Model { get; }

    public Tensor Inputs { get; }

    public long[] Targets { get; }

    public Lime Lime(int maxBatch = 128) => new(Model, Window, Samples, KernelWidth, Baseline, Ridge) { Seed = Seed, MaxBatch = maxBatch };

    public Tensor Maps() => Npy.load(dir.File("maps.npy"));

    public void Dispose()
    {
        Model.Dispose();
        Inputs.Dispose();
        dir.Dispose();
    }
}

public class LimeTests(LimeReference reference) : IClassFixture<LimeReference>
{
    [Fact]
    public void MapEqualsTheDefinitionComputedInPython()
    {
        using var maps = reference.Lime().Attribute(reference.Inputs, reference.Targets, LimeReference.Ids);
        Assert.Equal([LimeReference.Ids.Length, 1L, 40], maps.shape);
        using var expected = reference.Maps();
        TestData.AssertClose(expected, maps, 1e-5, "LIME maps");
    }

    [Fact]
    public void MapsDoNotDependOnTheBatchSize()
    {
        var maps = new[] { 1, 7, 128 }.Select(b => reference.Lime(b).Attribute(reference.Inputs, reference.Targets, LimeReference.Ids)).ToList();
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
    public void StatisticsOfAnySplitMergeToTheOneShotStatistics()
    {
        var lime = reference.Lime(32);
        long n = lime.Samples;
        var whole = lime.AttributePartial(reference.Inputs, reference.Targets, LimeReference.Ids, 0, n);
        // [X^T W X | X^T W y] for 10 segments and the intercept.
        Assert.All(whole, p => Assert.Equal([11L, 12], p.Shape));
        var random = new Random(8);
        for (int parts = 1; parts <= 8; parts++)
        {
            var cuts = Enumerable.Range(0, parts - 1).Select(_ => (long)random.Next(1, (int)n)).Append(0).Append(n).Distinct().Order().ToArray();
            var pieces = cuts.Zip(cuts.Skip(1)).Select(r => lime.AttributePartial(reference.Inputs, reference.Targets, LimeReference.Ids, r.First, r.Second)).ToList();
            for (int i = 0; i < whole.Length; i++)
            {
                var merged = Partial.Merge(pieces.Select(p => p[i]));
                double scale = whole[i].Sum.Max(Math.Abs);
                for (int j = 0; j < merged.Sum.Length; j++)
                    Assert.True(Math.Abs(merged.Sum[j] - whole[i].Sum[j]) <= 1e-9 * scale,
                        $"split [{string.Join(", ", cuts)}], input {i}, statistic {j}: {merged.Sum[j]:R} vs {whole[i].Sum[j]:R}");
                using var finished = lime.Finish(merged, reference.Inputs.shape[1..]);
                using var direct = lime.Finish(whole[i], reference.Inputs.shape[1..]);
                TestData.AssertClose(direct.unsqueeze(0), finished.unsqueeze(0), 1e-7, $"map of input {i} from {parts} parts");
            }
        }
    }

    [Fact]
    public void TheSeedChangesTheMapAndOnlyTheSeed()
    {
        Tensor Map(ulong seed) => new Lime(reference.Model, 4, samples: 100) { Seed = seed }.Attribute(reference.Inputs, reference.Targets);
        using var a = Map(1);
        using var again = Map(1);
        using var b = Map(2);
        Assert.Equal(TestData.Values(a), TestData.Values(again));
        double[] va = TestData.Values(a), vb = TestData.Values(b);
        double difference = va.Zip(vb, (x, y) => Math.Abs(x - y)).Max() / va.Max(Math.Abs);
        Assert.True(difference > 1e-2, $"seeds 1 and 2 give maps within {difference:E2} of each other");
    }

    [Fact]
    public void RecoversTheSignsAndOrderOfSegmentContributionsOfALinearModel()
    {
        // Four windows of 3 on x = 1 with baseline 0: dropping window j moves logit 0 by -c_j.
        double[] c = [0.6, -0.3, 0.15, -0.9];
        var w = Enumerable.Range(0, 12).Select(p => (float)(c[p / 3] / 3)).Concat(new float[12]).ToArray();
        using var model = new LinearModel([1, 12], w, [0.2f, 0]);
        using var x = torch.ones([1, 1, 12]);
        using var map = new Lime(model, 3, samples: 1000) { Seed = 2 }.Attribute(x, [0]);
        var values = TestData.Values(map);
        var coefficients = Enumerable.Range(0, 4).Select(j => values[3 * j]).ToArray();
        for (int p = 0; p < 12; p++) Assert.Equal(coefficients[p / 3], values[p]);
        Assert.Equal(c.Select(Math.Sign), coefficients.Select(Math.Sign));
        Assert.Equal(Order(c), Order(coefficients));
    }

    [Fact]
    public void RecoversTheOrderOfPatchContributionsIn2D()
    {
        // (3, 6, 6) in 3 x 3 patches: patch j holds 27 inputs whose weights add up to c_j on x = 1.
        double[] c = [0.5, -0.7, 0.2, -0.1];
        var w = new float[2 * 108];
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    w[(ch * 6 + i) * 6 + j] = (float)(c[i / 3 * 2 + j / 3] / 27);
        using var model = new LinearModel([3, 6, 6], w, [0, 0]);
        using var x = torch.ones([1, 3, 6, 6]);
        using var map = new Lime(model, 3, samples: 1000) { Seed = 3 }.Attribute(x, [0]);
        Assert.Equal([1L, 1, 6, 6], map.shape);
        var values = TestData.Values(map);
        var coefficients = new[] { values[0], values[3], values[18], values[21] };
        Assert.Equal(c.Select(Math.Sign), coefficients.Select(Math.Sign));
        Assert.Equal(Order(c), Order(coefficients));
    }

    private static int[] Order(double[] values) => values.Select((v, i) => (v, i)).OrderBy(p => p.v).Select(p => p.i).ToArray();

    [Fact]
    public void SegmentsCoverTheInputWithEdgePiecesCut()
    {
        var lime = new Lime(reference.Model, 4);
        var (line, lineCount) = lime.Segments([10]);
        Assert.Equal(3, lineCount);
        Assert.Equal([0L, 0, 0, 0, 1, 1, 1, 1, 2, 2], line);
        var (grid, gridCount) = lime.Segments([5, 6]);
        Assert.Equal(4, gridCount);
        Assert.Equal([0L, 0, 0, 0, 1, 1], grid[..6]);
        Assert.Equal([2L, 2, 2, 2, 3, 3], grid[24..]);
    }
}
