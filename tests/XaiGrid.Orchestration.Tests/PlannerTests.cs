using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class PlannerTests
{
    private static ExperimentPlan Plan(string text, IDataCatalog? catalog = null) =>
        new Planner(catalog ?? FakeDataCatalog.Mnist1D()).Plan(ExperimentLoader.Parse(text, "full.yaml"));

    private static HashSet<string> Keys(ExperimentPlan plan) => plan.Cells.Select(c => c.Key).ToHashSet();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static IEnumerable<CellSpec> Cells(ExperimentPlan plan, string kind, string? method = null) =>
        plan.Cells.Where(c => c.Kind == kind && (method is null || c.ParameterObject()["method"]?.GetValue<string>() == method));

    private static long[] Range(CellSpec cell, string name) => cell.ParameterObject()[name]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();

    [Fact]
    public void PlansEveryKindOfCell()
    {
        var plan = Plan(ExperimentLoaderTests.Full);
        Assert.Equal("full", plan.Experiment);
        var counts = plan.Cells.GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        // The fake data: 10 classes, 400 training instances each, 95 + c test items of class c (995 in all).
        var expected = new Dictionary<string, int>
        {
            // sweep 2 lr x 2 seeds, cnn 1, logistic 2 optimizers.
            ["train"] = 7,
            // maps on cnn, 995 inputs by 300 (4 ranges): gradient 4, smoothgrad n 25 by 10 (3 sample ranges) 12,
            // gradcam 4, rise 1000 masks by 10 (100) 400; threes on 4 sweep runs, 98 inputs in 1 range: 4;
            // per-instance influence of 3 ids: 1.
            ["explain-partial"] = 4 + 12 + 4 + 400 + 4 + 1,
            ["merge-maps"] = 4 + 4 + 1,
            ["drop-increase"] = 4,
            ["deletion"] = 1,
            ["sanity-check"] = 4,
            // per-class: 10 classes x 400 training instances by 150 (3); three-vs-eight: 98 test instances of class 3 (1).
            ["influence-partial"] = 30 + 1,
            ["merge-influence"] = 10 + 1,
            // 2 classes x 3 tops x 2 bottoms, reading the per-class job's influence cells of classes 0 and 3.
            ["compression-point"] = 12,
        };
        Assert.Equal(expected.OrderBy(p => p.Key), counts.OrderBy(p => p.Key));
        Assert.Equal(["train", "explain", "merge", "evaluate", "sanity", "influence", "compression"], plan.Cells.Select(c => c.Stage).Distinct());
    }

    [Fact]
    public void SplitsInputsAndSamplesIntoRanges()
    {
        var plan = Plan(ExperimentLoaderTests.Full);
        var smoothgrad = Cells(plan, "explain-partial", "smoothgrad").ToList();
        (long, long)[] inputs = [(0, 300), (300, 600), (600, 900), (900, 995)];
        (long, long)[] samples = [(0, 10), (10, 20), (20, 25)];
        Assert.Equal(inputs.SelectMany(i => samples.Select(s => (i, s))),
            smoothgrad.Select(c => ((Range(c, "input_range")[0], Range(c, "input_range")[1]), (Range(c, "sample_range")[0], Range(c, "sample_range")[1]))));
        Assert.Equal("cnn seed=0 / maps: smoothgrad n=25 inputs 300-599 samples 20-24", smoothgrad[5].Label);

        // A method without samples has input ranges only; the merge reads the model (the train cell, first) and
        // lists its partials in range order.
        var gradient = Cells(plan, "explain-partial", "gradient").ToList();
        Assert.All(gradient, c => Assert.Null(c.ParameterObject()["sample_range"]));
        var merge = Cells(plan, "merge-maps", "gradient").Single();
        Assert.Equal(gradient.Select(c => c.Dependencies[0]).Distinct().Single(), merge.Dependencies[0]);
        Assert.Equal(gradient.Select(c => c.Key), merge.Dependencies.Skip(1));
        Assert.Equal(995, merge.ParameterObject()["count"]!.GetValue<long>());

        // Class 3 has 98 test items; the instances of a class are split by instances_per_cell.
        Assert.All(Cells(plan, "explain-partial", "integrated-gradients"), c => Assert.Equal([0L, 98L], Range(c, "input_range")));
        var classZero = plan.Cells.Where(c => c.Kind == "influence-partial" && c.ParameterObject()["class"]!.GetValue<int>() == 0
                                              && c.ParameterObject()["split"]!.GetValue<string>() == "train");
        Assert.Equal([[0L, 150L], [150L, 300L], [300L, 400L]], classZero.Select(c => Range(c, "instance_range")));
    }

    [Fact]
    public void KeyIsTheSha256OfTheCanonicalDescription()
    {
        var plan = Plan(ExperimentLoaderTests.Full);
        var train = plan.Cells.Single(c => c.Label == "cnn seed=0");
        var parameters = """
            {"arch":"mnist1d-cnn","data":{"image_size":null,"normalize":false,"spec":"mnist1d","split_seed":0,"test_fraction":0.2},
            "training":{"augment":{"crop_padding":0,"horizontal_flip":false,"vertical_flip":false},"batch_size":100,"epochs":null,
            "gamma":0.1,"lr":0.01,"momentum":0.9,"nesterov":false,"optimizer":"adam","schedule":"none","seed":0,"shuffle":false,
            "step_size":30,"steps":6000,"weight_decay":0}}
            """.ReplaceLineEndings("");
        Assert.Equal(parameters, train.Parameters);
        Assert.Equal(Sha256($$"""{"dependencies":[],"kind":"train","parameters":{{parameters}}}"""), train.Key);

        var merge = Cells(plan, "merge-maps", "gradcam").Single();
        var dependencies = string.Join(",", merge.Dependencies.Select(d => $"\"{d}\""));
        Assert.Equal(Sha256($$"""{"dependencies":[{{dependencies}}],"kind":"merge-maps","parameters":{{merge.Parameters}}}"""), merge.Key);
        Assert.Equal("""
            {"arch":"mnist1d-cnn","count":995,"data":{"image_size":null,"normalize":false,"spec":"mnist1d","split_seed":0,"test_fraction":0.2},
            "inputs":{"select":"all","split":"test"},"method":"gradcam","params":{"layer":"conv3"},"target":"predicted"}
            """.ReplaceLineEndings(""), merge.Parameters);
    }

    [Fact]
    public void KeysAreStableAcrossLoadsKeyOrderAndWrittenDefaults()
    {
        var first = Plan(ExperimentLoaderTests.Full);
        var second = Plan(ExperimentLoaderTests.Full);
        Assert.Equal(first.Cells, second.Cells, (a, b) => a.Key == b.Key && a.Parameters == b.Parameters && a.Label == b.Label
                                                         && a.Dependencies.SequenceEqual(b.Dependencies));

        // The same experiment with keys reordered and defaults written out describes the same computations.
        var rewritten = ExperimentLoaderTests.Full
            .Replace("{method: smoothgrad, n: 25}", "{sigma: 0.15, seed: 0, n: 25, method: smoothgrad}")
            .Replace("    lr: 0.01\n    steps: 6000\n", "    steps: 6000\n    momentum: 0.9\n    weight_decay: 0\n    lr: 1e-2\n")
            .Replace("  mnist1d: {spec: mnist1d}", "  mnist1d: {test_fraction: 0.2, spec: mnist1d}");
        Assert.NotEqual(ExperimentLoaderTests.Full, rewritten);
        Assert.Equal(Keys(first), Keys(Plan(rewritten)));
    }

    [Fact]
    public void NamesAreNotPartOfKeys()
    {
        var renamed = ExperimentLoaderTests.Full
            .Replace("name: full", "name: renamed")
            .Replace("  cnn:", "  main:").Replace("model: cnn", "model: main")
            .Replace("name: maps", "name: saliency").Replace("explanations: maps", "explanations: saliency")
            .Replace("  mnist1d: {spec: mnist1d}", "  one-d: {spec: mnist1d}").Replace("data: mnist1d", "data: one-d");
        var original = Plan(ExperimentLoaderTests.Full);
        var plan = Plan(renamed);
        Assert.Equal(original.Cells.Select(c => c.Key), plan.Cells.Select(c => c.Key));
        Assert.Contains(plan.Cells, c => c.Label == "main seed=0");
    }

    [Theory]
    [InlineData("{method: smoothgrad, n: 25}", "{method: smoothgrad, n: 26}", "smoothgrad")]
    [InlineData("{method: gradcam, layer: conv3}", "{method: gradcam, layer: conv2}", "gradcam")]
    public void AChangedMethodParameterChangesItsCellsAndTheirDependentsOnly(string before, string after, string method)
    {
        var original = Plan(ExperimentLoaderTests.Full);
        var changed = Plan(ExperimentLoaderTests.Full.Replace(before, after));
        var expected = TestSupport.Downstream(original, Cells(original, "explain-partial", method).Select(c => c.Key));
        // The method's partials, its merge and the metric cells that read the merge.
        Assert.Equal(Cells(original, "explain-partial", method).Count() + 1 + 1, expected.Count);
        Assert.Equal(expected.Order(), Keys(original).Except(Keys(changed)).Order());
        Assert.Equal(expected.Count, Keys(changed).Except(Keys(original)).Count());
    }

    [Fact]
    public void AChangedTrainingOptionChangesThatRunAndEverythingDownstreamOnly()
    {
        var original = Plan(ExperimentLoaderTests.Full);
        var changed = Plan(ExperimentLoaderTests.Full.Replace("    lr: 0.01\n", "    lr: 0.02\n"));
        var train = original.Cells.Single(c => c.Label == "cnn seed=0").Key;
        var expected = TestSupport.Downstream(original, [train]);
        // The cnn runs maps, influence and compression: every cell but the other models' train and threes cells changes.
        Assert.Equal(original.Cells.Count - 6 - 4 * 2 - 4, expected.Count);
        Assert.Equal(expected.Order(), Keys(original).Except(Keys(changed)).Order());
        Assert.Equal(expected.Count, Keys(changed).Except(Keys(original)).Count());
    }

    [Fact]
    public void AChangedGridValueChangesOnlyItsPoints()
    {
        var original = Plan(ExperimentLoaderTests.Full);
        var changed = Plan(ExperimentLoaderTests.Full.Replace("top: [1, 2, 4]", "top: [1, 2, 5]"));
        var removed = Keys(original).Except(Keys(changed)).ToList();
        // Classes 0 and 3 x bottoms 0 and 1 at top 4.
        Assert.Equal(4, removed.Count);
        Assert.All(removed, key => Assert.Equal(4, original.Cells.Single(c => c.Key == key).ParameterObject()["top"]!.GetValue<int>()));
    }

    [Fact]
    public void CellsFollowTheirDependencies()
    {
        var plan = Plan(ExperimentLoaderTests.Full);
        var position = new Dictionary<string, int>();
        for (int i = 0; i < plan.Cells.Count; i++)
        {
            var cell = plan.Cells[i];
            Assert.True(position.TryAdd(cell.Key, i), $"key {cell.Key} is planned twice");
            Assert.Equal(cell.Dependencies.Count, cell.Dependencies.Distinct().Count());
            Assert.All(cell.Dependencies, d => Assert.True(position.ContainsKey(d), $"{cell.Label} depends on a cell planned after it"));
            var store = cell.ToStore();
            Assert.Equal((cell.Key, cell.Stage, cell.Kind, cell.Parameters), (store.Key, store.Stage, store.Kind, store.Parameters));
        }
        // Cells that read a model list its train cell first.
        Assert.All(plan.Cells.Where(c => c.Kind is "explain-partial" or "influence-partial" or "drop-increase" or "compression-point"),
            c => Assert.Equal("train", plan.Cells[position[c.Dependencies[0]]].Kind));
    }

    [Fact]
    public void CompressionSharesTheInfluenceCellsOfAnInfluenceJobOrPlansThem()
    {
        var full = Plan(ExperimentLoaderTests.Full);
        var start = ExperimentLoaderTests.Full.IndexOf("influence:\n", StringComparison.Ordinal);
        var end = ExperimentLoaderTests.Full.IndexOf("compression:\n", StringComparison.Ordinal);
        var alone = Plan(ExperimentLoaderTests.Full.Remove(start, end - start));
        Assert.DoesNotContain(alone.Cells, c => c.ParameterObject()["split"]?.GetValue<string>() == "test" && c.Kind == "merge-influence");
        Assert.Equal(Cells(full, "compression-point").Select(c => c.Key), Cells(alone, "compression-point").Select(c => c.Key));
        // Without the influence job the compression plans the class-wide influence of classes 0 and 3 itself.
        Assert.Equal([0, 3], Cells(alone, "merge-influence").Select(c => c.ParameterObject()["class"]!.GetValue<int>()));
        Assert.Equal(2 * 3, Cells(alone, "influence-partial").Count());
        Assert.Subset(Keys(full), Keys(alone));
    }

    [Fact]
    public void CountingInputsNeedsACatalogButExplicitIdsDoNot()
    {
        const string text = """
            name: ids
            data: {d: mnist1d}
            models: {m: {arch: mnist1d-cnn, data: d, steps: 10}}
            explanations:
              - {name: e, model: m, inputs: {ids: [3, 1, 4, 1000]}, methods: [{method: rise, masks: 40}]}
            partition: {inputs_per_cell: 3, samples_per_cell: 25}
            """;
        var plan = new Planner().Plan(ExperimentLoader.Parse(text, "ids.yaml"));
        var partials = Cells(plan, "explain-partial").ToList();
        Assert.Equal([[0L, 3L, 0L, 25L], [0L, 3L, 25L, 40L], [3L, 4L, 0L, 25L], [3L, 4L, 25L, 40L]],
            partials.Select(c => Range(c, "input_range").Concat(Range(c, "sample_range")).ToArray()));
        Assert.Equal("""{"ids":[3,1,4,1000],"select":"ids","split":"test"}""", CanonicalJson.Serialize(partials[0].ParameterObject()["inputs"]));

        var e = Assert.Throws<InvalidOperationException>(() => new Planner().Plan(ExperimentLoader.Parse(ExperimentLoaderTests.Full, "full.yaml")));
        Assert.Contains("needs its item counts: give the planner a data catalog", e.Message);
    }

    [Fact]
    public void ClassesTheDataDoesNotHaveAreAllReported()
    {
        var text = ExperimentLoaderTests.Full.Replace("inputs: {class: 3}", "inputs: {class: 12}").Replace("classes: [0, 3]", "classes: [0, 10]");
        var e = Assert.Throws<ExperimentValidationException>(() => Plan(text));
        Assert.Equal(
        [
            "full.yaml:41:21: class 12 is not a class of data 'mnist1d'; its classes are 0-9",
            "full.yaml:59:53: class 10 is not a class of data 'mnist1d'; its classes are 0-9",
        ], e.Problems.Select(p => p.ToString()));
    }
}
