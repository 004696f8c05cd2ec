using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class ExperimentProblemTests
{
    private const string Header = """
        name: broken
        data:
          d: {spec: mnist1d}
        models:
          cnn:
            arch: mnist1d-cnn
            data: d
            steps: 100

        """;

    private static ExperimentProblem SingleProblem(string text, string file = "broken.yaml")
    {
        var e = Assert.Throws<ExperimentValidationException>(() => ExperimentLoader.Parse(text, file));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(problem.ToString(), e.Message);
        return problem;
    }

    [Fact]
    public void BadYamlIsReportedWhereTheParserStopped()
    {
        var problem = SingleProblem("name: x\ndata:\n  d: mnist1d\n  e: [1, 2]]\n");
        // The stray ']' is line 4, column 12.
        Assert.Equal(new SourceLocation("broken.yaml", 4, 12), problem.Location);
        Assert.StartsWith("not valid YAML:", problem.Message);
    }

    [Fact]
    public void DuplicateKeysAreBadYaml()
    {
        var problem = SingleProblem("name: x\nname: y\n");
        Assert.Equal(new SourceLocation("broken.yaml", 2, 1), problem.Location);
        Assert.Contains("Duplicate key", problem.Message);
    }

    [Fact]
    public void UnknownKeyIsNamedWithTheAllowedKeys()
    {
        var problem = SingleProblem(Header.Replace("    steps: 100\n", "    steps: 100\n    lrate: 0.1\n"));
        Assert.Equal(new SourceLocation("broken.yaml", 9, 5), problem.Location);
        Assert.Equal("unknown key 'lrate'; allowed here: arch, data, optimizer, lr, momentum, weight_decay, batch_size, epochs, steps, " +
                     "nesterov, shuffle, schedule, step_size, gamma, augment, seeds", problem.Message);
    }

    [Fact]
    public void WrongTypeIsReportedAtTheValue()
    {
        var problem = SingleProblem(Header.Replace("    steps: 100\n", "    steps: 100\n    lr: fast\n"));
        Assert.Equal(new SourceLocation("broken.yaml", 9, 9), problem.Location);
        Assert.Equal("lr must be a number, got 'fast'", problem.Message);
    }

    [Fact]
    public void AListWhereAMappingBelongsIsAWrongType()
    {
        var problem = SingleProblem(Header.Replace("  cnn:\n", "  cnn: [mnist1d-cnn]\n  unused:\n"));
        Assert.Equal(new SourceLocation("broken.yaml", 5, 8), problem.Location);
        Assert.Equal("model 'cnn' must be a mapping (key: value lines)", problem.Message);
    }

    [Fact]
    public void UnknownMethodListsTheKnownOnes()
    {
        var problem = SingleProblem(Header + """
            explanations:
              - name: maps
                model: cnn
                methods:
                  - gradient
                  - {method: gradcamm, layer: conv3}
            """);
        // Line 14 of the file (Header has 8 lines), the method's name after "      - {method: ".
        Assert.Equal(new SourceLocation("broken.yaml", 14, 18), problem.Location);
        Assert.Equal("unknown method 'gradcamm'; known: gradient, gradient-x-input, smoothgrad, integrated-gradients, gradcam, gradcam++, " +
                     "rise, occlusion, lime, influence", problem.Message);
    }

    [Fact]
    public void MissingDatasetPathIsReportedAtTheSpec()
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-experiment-").FullName;
        try
        {
            var problem = SingleProblem(Header.Replace("{spec: mnist1d}", "{spec: data/nowhere, image_size: 32}"));
            Assert.Equal(new SourceLocation("broken.yaml", 3, 13), problem.Location);
            Assert.Equal($"missing dataset path 'data/nowhere' (relative paths resolve against {Directory.GetCurrentDirectory()})", problem.Message);

            // The same spec is fine once the path exists under the folder paths resolve against.
            Directory.CreateDirectory(Path.Combine(folder, "data", "nowhere"));
            var experiment = ExperimentLoader.Parse(Header.Replace("{spec: mnist1d}", "{spec: data/nowhere}"), "ok.yaml", folder);
            Assert.Equal("data/nowhere", Assert.Single(experiment.Data).Spec);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("mnist2d", "unknown data set 'mnist2d'; a data specification is ")]
    [InlineData("a.npy,b.hdf5", "a pair of files is IMAGES.npy,LABELS.npy or TRAIN.hdf5,TEST.hdf5, got 'a.npy,b.hdf5'")]
    [InlineData("/no/such/images.npy,/no/such/labels.npy", "missing dataset path '/no/such/images.npy'")]
    public void DataSpecsAreCheckedWithoutLoading(string spec, string message)
    {
        var problem = SingleProblem(Header.Replace("{spec: mnist1d}", $"{{spec: '{spec}'}}"));
        Assert.StartsWith(message, problem.Message);
    }

    [Fact]
    public void EveryProblemIsReportedInFileOrder()
    {
        const string text = """
            name: many
            colour: blue
            data:
              d: {spec: mnist1d, normalize: maybe}
            models:
              cnn:
                arch: resnet
                data: e
                optimizer: [sgd, rmsprop]
                lr: -0.1
                schedule: linear
            explanations:
              - name: maps
                model: mlp
                inputs: {class: 3, ids: [1]}
                methods:
                  - {method: smoothgrad, n: 0, noise: 0.1}
                  - gradcam
            evaluations:
              - {explanations: mapz, metric: drop-increase}
              - {explanations: maps, metric: auc}
            compression:
              - {name: c, model: cnn, layer: conv2, top: [1, 1]}
            partition: {inputs_per_cell: 0}
            """;
        var e = Assert.Throws<ExperimentValidationException>(() => ExperimentLoader.Parse(text, "many.yaml"));
        string[] expected =
        [
            "many.yaml:2:1: unknown key 'colour'; allowed here: name, data, models, explanations, evaluations, influence, compression, partition, report",
            "many.yaml:4:33: normalize must be true or false, got 'maybe'",
            "many.yaml:7:5: model 'cnn': give exactly one of epochs and steps",
            "many.yaml:7:11: unknown architecture 'resnet'; known: mnist1d-cnn, mnist1d-mlp, mnist1d-logistic, course-cnn1d, vgg7, yeast-cnn, mnist-cnn, vgg16, or a model .yaml file",
            "many.yaml:8:11: model 'cnn' reads data 'e', which is not defined; defined: d",
            "many.yaml:9:22: optimizer: unknown optimizer 'rmsprop'; allowed: sgd, adam",
            "many.yaml:10:9: lr: learning rate must be positive, got -0.1",
            "many.yaml:11:15: schedule: unknown schedule 'linear'; allowed: none, step, cosine",
            "many.yaml:14:12: explanations 'maps' explain model 'mlp', which is not defined; defined: cnn",
            "many.yaml:15:13: inputs select by exactly one of class and ids: all, {class: C} or {ids: [ID, ..]}",
            "many.yaml:17:33: smoothgrad n must be at least 1, got 0",
            "many.yaml:17:36: method 'smoothgrad' has no parameter 'noise'; allowed: n, sigma, seed",
            "many.yaml:18:9: method 'gradcam' needs a layer (layer=NAME)",
            "many.yaml:20:5: drop-increase needs 'frac'",
            "many.yaml:20:20: the evaluation reads explanations 'mapz', which is not defined; defined: maps",
            "many.yaml:21:34: unknown metric 'auc'; allowed: drop-increase, insertion, deletion, sanity-check",
            "many.yaml:23:50: top 1 is listed twice",
            "many.yaml:24:30: inputs_per_cell must be at least 1, got 0",
        ];
        Assert.Equal(expected, e.Problems.Select(p => p.ToString()));
        Assert.Equal(string.Join(Environment.NewLine, ["18 problems:", .. expected]), e.Message);
    }

    [Fact]
    public void LoadingAndPlanningWriteNothing()
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-experiment-").FullName;
        try
        {
            var file = Path.Combine(folder, "full.yaml");
            File.WriteAllText(file, ExperimentLoaderTests.Full);
            string Snapshot() => string.Join("\n", Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order()
                .Select(p => $"{p} {File.GetLastWriteTimeUtc(p):O} {(File.Exists(p) ? new FileInfo(p).Length : -1)}"));
            var before = Snapshot();
            var experiment = ExperimentLoader.Load(file, folder);
            new Planner(FakeDataCatalog.Mnist1D()).Plan(experiment);
            Assert.Throws<ExperimentValidationException>(() => ExperimentLoader.Parse("name: [x]", file, folder));
            Assert.Equal(before, Snapshot());
            Assert.Equal([file], Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ExperimentLoader.Load("/no/such/experiment.yaml"));
        Assert.Equal("experiment file not found: /no/such/experiment.yaml", e.Message);
    }
}
