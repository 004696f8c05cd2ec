using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Explain;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class ExperimentLoaderTests
{
    /// <summary>An experiment that uses every section; the planner tests plan it too.</summary>
    public const string Full = """
        name: full
        data:
          mnist1d: {spec: mnist1d}
          digits: {spec: mnist, normalize: true, split_seed: 3}
        models:
          sweep:
            arch: mnist1d-cnn
            data: mnist1d
            optimizer: adam
            lr: [1.0e-2, 3e-3]
            batch_size: 100
            steps: 2000
            shuffle: false
            seeds: [0, 1]
          cnn:
            arch: mnist1d-cnn
            data: mnist1d
            lr: 0.01
            steps: 6000
            shuffle: false
          logistic:
            arch: mnist1d-logistic
            data: mnist1d
            optimizer: [sgd, adam]
            schedule: step
            step_size: 5
            gamma: 0.5
            epochs: 10
            augment: {crop: 2}
        explanations:
          - name: maps
            model: cnn
            inputs: all
            methods:
              - gradient
              - {method: smoothgrad, n: 25}
              - {method: gradcam, layer: conv3}
              - {method: rise, masks: 1000, cells: 8, p1: 0.5}
          - name: threes
            model: sweep
            inputs: {class: 3}
            target: label
            methods: [{method: integrated-gradients, steps: 16, rule: middle}]
        evaluations:
          - {explanations: maps, metric: drop-increase, frac: 0.3}
          - {explanations: maps, metric: deletion, steps: 40, method: rise}
          - {explanations: threes, metric: sanity-check, absolute: true}
        influence:
          - {name: per-class, model: cnn, layer: conv2, doi: {class: all}}
          - {name: three-vs-eight, model: cnn, layer: conv2, qoi: {compare: [3, 8]}, doi: {class: 3, split: test}, top_k: 3, aggregate: mean}
          - name: path
            model: cnn
            layer: conv2
            qoi: {class: 3}
            doi: {path: {steps: 20}}
            inputs: {ids: [5, 7, 11]}
            multiply_activation: true
        compression:
          - {name: grid, model: cnn, layer: conv2, classes: [0, 3], top: [1, 2, 4], bottom: [0, 1]}
        partition:
          inputs_per_cell: 300
          samples_per_cell: 10
          instances_per_cell: 150
        report:
          examples: 6
        """;

    [Fact]
    public void ReadsDataWithDataSpecDefaults()
    {
        var experiment = ExperimentLoader.Parse(Full, "full.yaml");
        Assert.Equal("full", experiment.Name);
        Assert.Equal("full.yaml", experiment.Source);
        var defaults = new DataSpecOptions();
        Assert.Equal(new DataEntry("mnist1d", "mnist1d", null, false, defaults.TestFraction, defaults.SplitSeed), experiment.Data[0]);
        Assert.Equal(new DataEntry("digits", "mnist", null, true, defaults.TestFraction, 3), experiment.Data[1]);
    }

    [Fact]
    public void ExpandsTheGridInAxisOrderWithSeedsFastest()
    {
        var experiment = ExperimentLoader.Parse(Full, "full.yaml");
        var sweep = experiment.ModelNamed("sweep");
        // The mapping under "sweep:" starts at its first key, arch (line 7, column 5).
        Assert.Equal(new SourceLocation("full.yaml", 7, 5), sweep.Location);
        var axis = Assert.Single(sweep.Grid);
        Assert.Equal("lr", axis.Key);
        Assert.Equal([0.01, 0.003], axis.Values.Cast<double>());
        Assert.Equal([0UL, 1UL], sweep.Seeds);

        var runs = sweep.Runs();
        Assert.Equal(["sweep lr=0.01 seed=0", "sweep lr=0.01 seed=1", "sweep lr=0.003 seed=0", "sweep lr=0.003 seed=1"], runs.Select(r => r.Label));
        var reference = new TrainingOptions { Optimizer = "adam", BatchSize = 100, Steps = 2000, Shuffle = false };
        Assert.Equal(reference with { LearningRate = 0.003, Seed = 1 }, runs[3].Options);

        // Unset options keep TrainingOptions' defaults; the seed defaults to [0].
        var cnn = Assert.Single(experiment.ModelNamed("cnn").Runs());
        Assert.Equal(new TrainingOptions { LearningRate = 0.01, Steps = 6000, Shuffle = false }, cnn.Options);
        Assert.Equal("cnn seed=0", cnn.Label);

        var logistic = experiment.ModelNamed("logistic").Runs();
        Assert.Equal(["logistic optimizer=sgd seed=0", "logistic optimizer=adam seed=0"], logistic.Select(r => r.Label));
        Assert.Equal(new TrainingOptions
        {
            Optimizer = "sgd", Schedule = "step", StepSize = 5, Gamma = 0.5, Epochs = 10, Augmentation = new Augmentation(CropPadding: 2),
        }, logistic[0].Options);
    }

    [Fact]
    public void WeightDecayDefaultsToTheArchitecturesRecommendation()
    {
        // DESIGN.md: vgg7 is trained with the course's L2 of 5e-4; MNIST-1D models with none.
        const string text = """
            name: wd
            data: {d: mnist1d}
            models:
              a: {arch: vgg7, data: d, epochs: 1}
              b: {arch: mnist1d-cnn, data: d, epochs: 1}
              c: {arch: vgg7, data: d, epochs: 1, weight_decay: 0}
            """;
        var experiment = ExperimentLoader.Parse(text, "wd.yaml");
        Assert.Equal([5e-4, 0, 0], experiment.Models.Select(m => m.Options.WeightDecay));
    }

    [Fact]
    public void ReadsMethodsWithTypedParametersAndCatalogDefaults()
    {
        var experiment = ExperimentLoader.Parse(Full, "full.yaml");
        var maps = experiment.ExplanationNamed("maps");
        Assert.Equal(["gradient", "smoothgrad", "gradcam", "rise"], maps.Methods.Select(m => m.Method));
        Assert.Equal(InputSelector.All, maps.Inputs.Select);
        Assert.Equal("predicted", maps.Target);
        // smoothgrad: n as written; sigma and seed from the catalog (0.15 and 0).
        Assert.Equal("""{"n":25,"seed":0,"sigma":0.15}""", CanonicalJson.Serialize(maps.Methods[1].TypedParameters()));
        Assert.Equal("""{"cells":8,"masks":1000,"p1":0.5,"seed":0}""", CanonicalJson.Serialize(maps.Methods[3].TypedParameters()));
        Assert.Equal("{}", CanonicalJson.Serialize(maps.Methods[0].TypedParameters()));

        var threes = experiment.ExplanationNamed("threes");
        Assert.Equal(new InputSelector(InputSelector.OfClass, InputSelector.Test, 3, null, new SourceLocation("full.yaml", 41, 21)), threes.Inputs);
        Assert.Equal("label", threes.Target);
        Assert.Equal("""{"baseline":0,"rule":"middle","steps":16}""", CanonicalJson.Serialize(Assert.Single(threes.Methods).TypedParameters()));
    }

    [Fact]
    public void ReadsEvaluationsInfluenceCompressionPartitionAndReport()
    {
        var experiment = ExperimentLoader.Parse(Full, "full.yaml");
        var drop = experiment.Evaluations[0];
        Assert.Equal(("maps", "drop-increase", null, 0.3), (drop.Explanations, drop.Metric, drop.Method, drop.Frac));
        Assert.Equal("""{"frac":0.3}""", CanonicalJson.Serialize(drop.MetricParameters()));
        var deletion = experiment.Evaluations[1];
        Assert.Equal(("rise", 40), (deletion.Method, deletion.Steps));
        Assert.Equal("""{"baseline":0,"blur":null,"steps":40}""", CanonicalJson.Serialize(deletion.MetricParameters()));
        Assert.Equal("""{"absolute":true,"seed":0}""", CanonicalJson.Serialize(experiment.Evaluations[2].MetricParameters()));

        var perClass = experiment.Influence[0];
        Assert.IsType<QuantityOfInterestSpec.Target>(perClass.Quantity);
        var classes = Assert.IsType<DistributionOfInterestSpec.Classes>(perClass.Distribution);
        Assert.Null(classes.Selection.Classes);
        Assert.Equal("train", classes.Split);
        Assert.Equal((5, "max"), (perClass.TopK, perClass.Aggregate));

        var compare = experiment.Influence[1];
        Assert.Equal(new QuantityOfInterestSpec.Compare(3, 8), compare.Quantity);
        var three = Assert.IsType<DistributionOfInterestSpec.Classes>(compare.Distribution);
        Assert.Equal([3], three.Selection.Classes!);
        Assert.Equal(("test", 3, "mean"), (three.Split, compare.TopK, compare.Aggregate));

        var path = experiment.Influence[2];
        Assert.Equal(new DistributionOfInterestSpec.Path(null, 20), path.Distribution);
        Assert.Equal([5L, 7L, 11L], path.Inputs!.Ids!);
        var method = path.AsMethod();
        Assert.Equal("influence", method.Method);
        // As the influence method: layer, qoi c:3, doi path, steps 20 and the catalog's baseline 0.
        Assert.Equal("""{"baseline":0,"doi":"path","layer":"conv2","multiply-activation":true,"qoi":"c:3","steps":20}""",
            CanonicalJson.Serialize(method.TypedParameters()));

        var grid = Assert.Single(experiment.Compression);
        Assert.Equal(("grid", "cnn", "conv2", "max"), (grid.Name, grid.Model, grid.Layer, grid.Aggregate));
        Assert.Equal([0, 3], grid.Classes.Classes!);
        Assert.Equal([1, 2, 4], grid.Top);
        Assert.Equal([0, 1], grid.Bottom);

        Assert.Equal(new PartitionSettings(300, 10, 150), experiment.Partition);
        Assert.Equal(new ReportSettings(6), experiment.Report);
    }

    [Fact]
    public void OptionalSectionsHaveDefaults()
    {
        var experiment = ExperimentLoader.Parse("name: m\ndata: {d: mnist1d}\nmodels: {m: {arch: mnist1d-mlp, data: d, epochs: 2}}\n", "m.yaml");
        Assert.Empty(experiment.Explanations);
        Assert.Empty(experiment.Evaluations);
        Assert.Empty(experiment.Influence);
        Assert.Empty(experiment.Compression);
        Assert.Equal(new PartitionSettings(250, null, null), experiment.Partition);
        Assert.Equal(new ReportSettings(null), experiment.Report);
    }

    [Theory]
    [InlineData("integrated-gradients", "rule", "trapezoid", "\"trapezoid\"")]
    [InlineData("influence", "qoi", "c:3-8", "\"c:3-8\"")]
    [InlineData("influence", "qoi", "class", "\"class\"")]
    [InlineData("influence", "multiply-activation", "yes", "true")]
    [InlineData("smoothgrad", "sigma", "1e-1", "0.1")]
    [InlineData("rise", "seed", "0", "0")]
    public void MethodValuesFollowTheCatalogTypes(string method, string name, string text, string json)
    {
        var parameter = MethodCatalog.Parameters(method).Single(p => p.Name == name);
        Assert.Equal(json, CanonicalJson.Serialize(MethodValues.Parse(method, parameter, text)));
    }

    [Theory]
    [InlineData("integrated-gradients", "rule", "simpson", "integrated-gradients rule must be one of left, right, middle, trapezoid; got 'simpson'")]
    [InlineData("influence", "qoi", "c:x", "influence qoi must be one of class, c:C, c:C-C2 (capitals stand for whole numbers); got 'c:x'")]
    [InlineData("smoothgrad", "n", "0", "smoothgrad n must be at least 1, got 0")]
    [InlineData("smoothgrad", "n", "2.5", "smoothgrad n must be a whole number, got '2.5'")]
    [InlineData("lime", "kernel-width", "wide", "lime kernel-width must be a finite number, got 'wide'")]
    public void BadMethodValuesSayWhatIsAllowed(string method, string name, string text, string message)
    {
        var parameter = MethodCatalog.Parameters(method).Single(p => p.Name == name);
        Assert.Equal(message, Assert.Throws<FormatException>(() => MethodValues.Parse(method, parameter, text)).Message);
    }

    [Fact]
    public void SampledMethodsCountTheirSamplesWithIntParametersOfTheCatalog()
    {
        foreach (var (method, parameter) in SampledMethods.CountParameter)
            Assert.Equal("int", MethodCatalog.Parameters(method).Single(p => p.Name == parameter).Type);
    }
}
