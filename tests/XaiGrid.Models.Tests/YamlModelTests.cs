using XaiGrid.Models.Architectures;
using XaiGrid.Models.Yaml;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

public class YamlModelTests
{
    // mnist1d-cnn as a layer list with positional names: conv1 -> 0, conv2 -> 2, conv3 -> 4, linear -> 7.
    private const string Mnist1DCnnLayers = """
        input: [1, 40]
        classes: 10
        layers:
          - {type: conv1d, out: 25, kernel: 5, stride: 2, padding: 1}
          - {type: relu}
          - {type: conv1d, out: 25, kernel: 3, stride: 2, padding: 1}
          - {type: relu}
          - {type: conv1d, out: 25, kernel: 3, stride: 2, padding: 1}
          - {type: relu}
          - {type: flatten}
          - {type: linear, out: 10}
        """;

    private static readonly Dictionary<string, string> Mnist1DCnnToPositions = new()
    {
        ["conv1"] = "0", ["conv2"] = "2", ["conv3"] = "4", ["linear"] = "7",
    };

    // vgg7 with features.i -> i and classifier -> 11, after a global average pool at 10.
    private const string Vgg7Layers = """
        input: [3, 16, 16]
        classes: 8
        layers:
          - {type: conv2d, out: 32, kernel: 3, padding: 1}
          - {type: relu}
          - {type: conv2d, out: 32, kernel: 3, padding: same}
          - {type: relu}
          - {type: maxpool2d, kernel: 2}
          - {type: conv2d, out: 64, kernel: 3, padding: 1}
          - {type: relu}
          - {type: conv2d, out: 64, kernel: 3, padding: 1, bias: true}
          - {type: relu}
          - {type: maxpool2d, kernel: 2, stride: 2}
          - {type: globalavgpool}
          - {type: linear, out: 8}
        """;

    /// <summary><paramref name="from"/>'s state dict renamed by prefix; the caller disposes the tensors.</summary>
    private static Dictionary<string, Tensor> Renamed(torch.nn.Module from, Func<string, string> prefix) =>
        from.state_dict().ToDictionary(kv => prefix(kv.Key[..kv.Key.LastIndexOf('.')]) + kv.Key[kv.Key.LastIndexOf('.')..], kv => kv.Value);

    private static void AssertSameLogits(Classifier reference, Classifier model, long[] inputShape)
    {
        using var g = new torch.Generator(9);
        using var x = torch.randn(inputShape, generator: g);
        var expected = ModelAssert.EvalLogits(reference, x, out var expectedShape);
        var actual = ModelAssert.EvalLogits(model, x, out var shape);
        Assert.Equal(expectedShape, shape);
        // The same weights through the same libtorch kernels: the same floats.
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Mnist1DCnnAsLayersHasPositionalNamesTheSameInitAndTheSameLogits()
    {
        using var g = new torch.Generator(3);
        using var yaml = YamlModel.Parse(Mnist1DCnnLayers, "cnn.yaml", g);
        using var g2 = new torch.Generator(3);
        using var cnn = ModelZoo.Create("mnist1d-cnn", generator: g2);

        Assert.Equal("cnn", yaml.Arch);
        Assert.Equal([1L, 40L], yaml.InputShape);
        Assert.Equal(10, yaml.NumClasses);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i.ToString()), yaml.LayerNames);
        Assert.Equal(5_210, yaml.parameters().Sum(p => p.numel()));
        Assert.True(yaml.training);

        // Layers are built in list order from the generator, as PyTorch's Sequential would draw them.
        var expected = ModelAssert.StateValues(cnn).ToDictionary(kv => Mnist1DCnnToPositions[kv.Key.Split('.')[0]] + "." + kv.Key.Split('.')[1], kv => kv.Value);
        var actual = ModelAssert.StateValues(yaml);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "7.weight", "7.bias"], actual.Keys);
        foreach (var (name, values) in actual) Assert.Equal(expected[name], values);

        // Trained weights (here: another seed) carried over by name give the same logits.
        using var g3 = new torch.Generator(4);
        using var other = ModelZoo.Create("mnist1d-cnn", generator: g3);
        var state = Renamed(other, p => Mnist1DCnnToPositions[p]);
        yaml.load_state_dict(state);
        AssertSameLogits(other, yaml, [5, 1, 40]);
    }

    [Fact]
    public void NamedLayersGiveTheArchitecturesStateDictNames()
    {
        const string text = """
            name: my-cnn
            input: [1, 40]
            classes: 10
            layers:
              - {type: conv1d, name: conv1, out: 25, kernel: 5, stride: 2, padding: 1}
              - {type: relu}
              - {type: conv1d, name: conv2, out: 25, kernel: 3, stride: 2, padding: 1}
              - {type: relu}
              - {type: conv1d, name: conv3, out: 25, kernel: 3, stride: 2, padding: 1}
              - {type: relu}
              - {type: flatten}
              - {type: linear, name: linear, out: 10}
            """;
        using var yaml = YamlModel.Parse(text, "cnn.yaml");
        using var cnn = ModelZoo.Create("mnist1d-cnn");

        Assert.Equal("my-cnn", yaml.Arch);
        var ours = cnn.state_dict();
        Assert.Equal(ours.Keys, ModelAssert.StateValues(yaml).Keys);
        yaml.load_state_dict(ours);
        AssertSameLogits(cnn, yaml, [3, 1, 40]);
    }

    [Fact]
    public void Vgg7AsLayersGivesVgg7sLogits()
    {
        using var yaml = YamlModel.Parse(Vgg7Layers, "vgg7.yaml");
        using var vgg7 = ModelZoo.Create("vgg7", inputShape: [3, 16, 16]);
        Assert.Equal(vgg7.parameters().Sum(p => p.numel()), yaml.parameters().Sum(p => p.numel()));
        var state = Renamed(vgg7, p => p == "classifier" ? "11" : p["features.".Length..]);
        yaml.load_state_dict(state);
        AssertSameLogits(vgg7, yaml, [2, 3, 16, 16]);
    }

    [Fact]
    public void ShapeProbingLeavesBatchNormStatisticsUntouched()
    {
        const string text = """
            input: [2, 8, 8]
            classes: 3
            layers:
              - {type: conv2d, name: conv, out: 4, kernel: 3, bias: false}
              - {type: batchnorm2d, name: bn}
              - {type: relu}
              - {type: avgpool2d, kernel: 2}
              - {type: dropout, p: 0.3}
              - {type: flatten}
              - {type: linear, name: fc, out: 3}
            """;
        using var yaml = YamlModel.Parse(text, "bn.yaml");
        var state = ModelAssert.StateValues(yaml);
        Assert.Equal(["conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias"], state.Keys);
        Assert.Equal(new float[4], state["bn.running_mean"]);
        Assert.Equal(Enumerable.Repeat(1f, 4), state["bn.running_var"]);
        Assert.Equal([0f], state["bn.num_batches_tracked"]);
        // 8 -> 6 (valid conv) -> 3 (pool), so fc sees 4 x 3 x 3 features.
        Assert.Equal([3L, 36L], Assert.IsType<TorchSharp.Modules.Linear>(yaml.Layer("fc")).weight.shape);
        Assert.True(yaml.training);
    }

    [Fact]
    public void ModelZooLoadsYamlFilesAndNamesMissingOnes()
    {
        using var dir = new TempDir();
        var path = dir.File("cnn1d.yml");
        File.WriteAllText(path, Mnist1DCnnLayers);
        using (var model = ModelZoo.Create(path)) Assert.Equal("cnn1d", model.Arch);

        var missing = dir.File("none.yaml");
        Assert.Equal($"model file not found: {missing}", Assert.Throws<FileNotFoundException>(() => ModelZoo.Create(missing)).Message);

        File.WriteAllText(path, Mnist1DCnnLayers.Replace("kernel: 5", "kernel: 50"));
        var e = Assert.Throws<YamlFileException>(() => ModelZoo.Create(path));
        Assert.Equal((path, 4L, 5L), (e.FilePath, e.Line, e.Column));
        Assert.StartsWith($"{path}:4:5: layer '0' does not fit its input [1, 1, 40]", e.Message);
    }

    private const string Header = "input: [1, 40]\nclasses: 10\nlayers:\n";

    public static TheoryData<string, string> Errors => new()
    {
        // YAML text, the message's expected start: source:line:column: what is wrong
        { "input: [1, 40]\nclasses: 10: 3\nlayers: []\n", "bad.yaml:2:12: While scanning a plain scalar value, found invalid mapping" },
        { "input: [1, 40]\nclases: 10\nlayers: []\n", "bad.yaml:2:1: unknown key 'clases'; allowed here: name, input, classes, layers" },
        { Header + "  - {type: conv1d, out: 25, kernal: 5}\n",
            "bad.yaml:4:29: unknown key 'kernal'; allowed here: type, name, out, kernel, stride, padding, dilation, groups, bias" },
        { Header + "  - {type: flatten}\n  - {type: conv3d, out: 4, kernel: 3}\n",
            $"bad.yaml:5:12: unknown layer type 'conv3d'; known: {string.Join(", ", YamlModel.LayerTypes)}" },
        { Header + "  - {type: conv1d, out: 25, kernel: 5}\n  - {type: linear, out: 10}\n",
            "bad.yaml:5:5: linear needs a flat (N, features) input; add a flatten layer before it (input is [1, 25, 36])" },
        { Header + "  - {type: flatten}\n  - {type: linear, out: 7}\n", "bad.yaml:5:5: the last layer must give (N, 10) logits, it gives [1, 7]" },
        { Header + "  - {type: flatten}\n", "bad.yaml:4:5: the last layer must give (N, 10) logits, it gives [1, 40]" },
        { Header + "  - {type: conv1d, name: c, out: 4, kernel: 5}\n  - {type: conv1d, name: c, out: 4, kernel: 3}\n",
            "bad.yaml:5:5: layer name 'c' is used twice" },
        { Header + "  - {type: conv1d, name: conv1, out: 25, kernel: 41}\n", "bad.yaml:4:5: layer 'conv1' does not fit its input [1, 1, 40]: " },
        { Header + "  - {type: flatten}\n  - {type: maxpool2d, kernel: 2}\n", "bad.yaml:5:5: layer '1' does not fit its input [1, 40]: " },
        { Header + "  - {type: conv1d, out: 0, kernel: 5}\n", "bad.yaml:4:5: layer '0': Conv1d: in_channels (1), out_channels (0) and groups (1) must be positive" },
        { Header + "  - {type: flatten, name: a.b}\n", "bad.yaml:4:5: layer name 'a.b' must be non-empty and without '.'" },
        { Header + "  - {type: flatten}\n  - {type: linear}\n", "bad.yaml:5:5: missing key 'out'" },
        { Header + "  - {type: conv1d, out: 4, kernel: five}\n", "bad.yaml:4:36: kernel must be a whole number, got 'five'" },
        { "input: [1, 40]\nclasses: 1\nlayers:\n  - {type: flatten}\n", "bad.yaml:2:10: classes must be at least 2, got 1" },
        { "input: [1]\nclasses: 10\nlayers:\n  - {type: flatten}\n", "bad.yaml:1:8: input must be [C, L] or [C, H, W] with positive sizes" },
        { "input: [1, 40]\nclasses: 10\nlayers: []\n", "bad.yaml:3:9: layers must be a non-empty list" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void ErrorsNameSourceLineAndColumn(string yaml, string expected)
    {
        var e = Assert.Throws<YamlFileException>(() => YamlModel.Parse(yaml, "bad.yaml"));
        Assert.StartsWith(expected, e.Message);
        Assert.Matches(@"^bad\.yaml:\d+:\d+: \S", e.Message);
    }
}
