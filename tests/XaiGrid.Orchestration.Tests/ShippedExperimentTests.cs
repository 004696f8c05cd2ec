using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

/// <summary>The experiment files in experiments/ load (from the repository root, as they say) and plan.</summary>
public class ShippedExperimentTests
{
    // The shared data's shapes: MNIST-1D 10 classes of 400 training and 100 test items; the HMT subset 8 classes of
    // 50 training and 62 test tiles.
    private static readonly FakeDataCatalog Catalog = new(new()
    {
        ["mnist1d"] = new DataCounts(Enumerable.Repeat(400L, 10).ToArray(), Enumerable.Repeat(100L, 10).ToArray()),
        ["../shared/data/hmt"] = new DataCounts(Enumerable.Repeat(50L, 8).ToArray(), Enumerable.Repeat(62L, 8).ToArray()),
    });

    private static ExperimentDefinition Load(string file)
    {
        var root = TestSupport.RepositoryRoot();
        return ExperimentLoader.Load(Path.Combine(root, "experiments", file), root);
    }

    public static TheoryData<string, int> Files => new()
    {
        // 4 sweep + 1 main; 5 methods x 4 input ranges of 250 + 5 merges; 5 drop-increase; 10 classes x (1 influence
        // partial + merge); 10 classes x 4 tops x 3 bottoms.
        { "quickstart.yaml", 5 + 20 + 5 + 5 + 20 + 120 },
        // cnn 9, mlp 9, logistic 12 runs; 4 gradient methods x 4 input ranges per run, smoothgrad n 50 by 25 (x 2);
        // each run's 4 merges; drop-increase on every run's 4 methods, deletion and insertion on the cnn's; the cnn's
        // sanity job on class 3 (100 items, 1 range) with 2 methods + merges and 2 sanity checks per run.
        { "mnist1d-sweep.yaml", 30 + 30 * (4 * 4 + 4 + 4) + 30 * 4 + 9 * 4 * 2 + 9 * (2 + 2 + 2) },
        // 1 run; 496 tiles by 62 (8 ranges): 4 plain methods x 8, rise 2000 by 500 (4) and lime 500 (1) samples;
        // 6 merges; 3 metrics x 6 methods.
        { "hmt.yaml", 1 + 8 * (4 + 4 + 1) + 6 + 3 * 6 },
        // 1 run; per-class: 10 classes x (2 partials of 200 + merge); three-vs-eight: class 3's 400 instances (2 + 1);
        // path: 100 test items of class 3 (1 partial + merge).
        { "influence.yaml", 1 + 10 * 3 + 3 + 2 },
        // 2 runs; mnist1d: 10 x (influence + merge) + 10 x 5 x 4; hmt: 8 x 2 + 8 x 6 x 4.
        { "compression.yaml", 2 + 10 * 2 + 10 * 5 * 4 + 8 * 2 + 8 * 6 * 4 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void LoadsAndPlans(string file, int cells)
    {
        var experiment = Load(file);
        Assert.Equal(Path.GetFileNameWithoutExtension(file), experiment.Name);
        var plan = new Planner(Catalog).Plan(experiment);
        Assert.Equal(cells, plan.Cells.Count);
        var seen = new HashSet<string>();
        foreach (var cell in plan.Cells)
        {
            Assert.All(cell.Dependencies, d => Assert.Contains(d, seen));
            Assert.True(seen.Add(cell.Key));
        }
    }

    [Fact]
    public void EveryShippedFileIsTested()
    {
        var shipped = Directory.GetFiles(Path.Combine(TestSupport.RepositoryRoot(), "experiments"), "*.yaml").Select(Path.GetFileName).Order();
        Assert.Equal(Files.Select(row => (string)row[0]).Order(), shipped!);
    }

    [Fact]
    public void FilesSayHowRelativePathsResolve()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestSupport.RepositoryRoot(), "experiments"), "*.yaml"))
            Assert.Contains("resolve against the current working folder", File.ReadAllText(file).ReplaceLineEndings(" ").Replace("# ", ""));
    }

    [Fact]
    public void QuickstartPlansWithTheRealDataCounts()
    {
        // MNIST-1D's 1000 test sequences in 4 ranges of 250, 10 classes: the same plan as with the fake counts.
        var plan = new Planner(new DataSpecCatalog()).Plan(Load("quickstart.yaml"));
        Assert.Equal(175, plan.Cells.Count);
        Assert.Equal(
            Enumerable.Range(0, 4).Select(i => $"cnn seed=0 / maps: rise cells=8 masks=1000 p1=0.5 inputs {250 * i}-{250 * i + 249} samples 0-999"),
            plan.Cells.Where(c => c.Kind == "explain-partial" && c.Label.Contains("rise")).Select(c => c.Label));
    }
}
