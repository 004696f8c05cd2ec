using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace XaiGrid.Models.Tests;

[Collection(Vgg16Collection.Name)]
public class ArchitectureTests(Vgg16Fixture vgg16)
{
    // The architectures small enough to build in every test; vgg16 is the shared fixture.
    public static TheoryData<string> SmallArchitectures => new(ModelZoo.Names.Where(n => n != "vgg16"));

    private static long Conv(long cin, long cout, long k) => cin * cout * k + cout;

    private static long Dense(long fin, long fout) => fin * fout + fout;

    public static TheoryData<string, long> ParameterCounts => new()
    {
        { "mnist1d-cnn", 5_210 },
        { "mnist1d-mlp", 15_210 },
        { "mnist1d-logistic", 410 },
        { "course-cnn1d", Conv(1, 25, 5) + 2 * Conv(25, 25, 3) + Dense(25 * 40, 10) },
        { "vgg7", 3 * 32 * 9 + 32 + 32 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 64 * 64 * 9 + 64 + 64 * 8 + 8 },
        { "mnist-cnn", Conv(1, 32, 9) + Conv(32, 64, 9) + Dense(64 * 7 * 7, 128) + Dense(128, 10) },
        { "yeast-cnn", Conv(2, 32, 9) + Conv(32, 64, 9) + Conv(64, 128, 9) + Dense(128 * 4 * 4, 256) + Dense(256, 19) },
    };

    private static long CountParameters(torch.nn.Module model) => model.parameters().Sum(p => p.numel());

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ParameterCount(string arch, long expected)
    {
        using var model = ModelZoo.Create(arch);
        Assert.Equal(expected, CountParameters(model));
    }

    [Fact]
    public void Vgg16HasTorchvisionsParameterCount() => Assert.Equal(138_357_544, CountParameters(vgg16.Model));

    public static TheoryData<string, int?, long[]?, long[], long[]> Shapes => new()
    {
        // arch, numClasses, inputShape given to Create, input of the forward, expected logits shape
        { "mnist1d-cnn", null, null, [2, 1, 40], [2, 10] },
        { "mnist1d-mlp", null, null, [2, 1, 40], [2, 10] },
        { "mnist1d-logistic", 4, null, [2, 1, 40], [2, 4] },
        { "course-cnn1d", null, null, [2, 1, 40], [2, 10] },
        { "course-cnn1d", 3, [1, 60], [2, 1, 60], [2, 3] },
        { "vgg7", null, null, [2, 3, 150, 150], [2, 8] },
        { "vgg7", 5, [3, 36, 20], [2, 3, 36, 20], [2, 5] },
        { "mnist-cnn", null, null, [2, 1, 28, 28], [2, 10] },
        { "yeast-cnn", null, null, [2, 2, 64, 64], [2, 19] },
        { "yeast-cnn", null, [2, 60, 60], [2, 2, 60, 60], [2, 19] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OutputShape(string arch, int? numClasses, long[]? inputShape, long[] input, long[] expected)
    {
        using var g = new torch.Generator(1);
        using var model = ModelZoo.Create(arch, numClasses, inputShape, g);
        if (inputShape is not null) Assert.Equal(inputShape, model.InputShape);
        Assert.Equal(expected[1], model.NumClasses);
        using var x = torch.randn(input, generator: g);
        var logits = ModelAssert.EvalLogits(model, x, out var shape);
        Assert.Equal(expected, shape);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        // Distinct inputs give distinct logits: the forward really uses each item.
        Assert.NotEqual(logits[..(int)expected[1]], logits[(int)expected[1]..]);
    }

    [Fact]
    public void Vgg16OutputShape()
    {
        // Any size from 32 x 32 works after the adaptive pool; 224 x 224 would only make the test slower.
        using var g = new torch.Generator(1);
        using var x = torch.randn([2, 3, 32, 32], generator: g);
        var logits = ModelAssert.EvalLogits(vgg16.Model, x, out var shape);
        Assert.Equal([2L, 1000L], shape);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }

    private static string Range(string prefix, int count) => string.Join(",", Enumerable.Range(0, count).Select(i => $"{prefix}.{i}"));

    public static TheoryData<string, string> Layers => new()
    {
        { "mnist1d-cnn", "conv1,conv2,conv3,linear" },
        { "mnist1d-mlp", "linear1,linear2,linear3" },
        { "mnist1d-logistic", "linear" },
        { "course-cnn1d", "conv1,conv2,conv3,linear" },
        { "vgg7", Range("features", 10) + ",classifier" },
        { "mnist-cnn", Range("features", 6) + "," + Range("classifier", 4) },
        { "yeast-cnn", Range("features", 9) + "," + Range("classifier", 5) },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void LayerNamesAreTheLeafModules(string arch, string expected)
    {
        using var model = ModelZoo.Create(arch);
        Assert.Equal(expected, string.Join(",", model.LayerNames));
        foreach (var name in model.LayerNames) Assert.Same(model.named_modules().Single(m => m.name == name).module, model.Layer(name));
    }

    [Fact]
    public void Vgg16LayerNames()
    {
        Assert.Equal(Range("features", 31) + ",avgpool," + Range("classifier", 7), string.Join(",", vgg16.Model.LayerNames));
        int[] convs = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28];
        int[] pools = [4, 9, 16, 23, 30];
        for (int i = 0; i <= 30; i++)
        {
            var layer = vgg16.Model.Layer($"features.{i}");
            if (convs.Contains(i)) Assert.IsType<Conv2d>(layer);
            else if (pools.Contains(i)) Assert.IsType<MaxPool2d>(layer);
            else Assert.IsType<ReLU>(layer);
        }
        Assert.Equal([512L * 7 * 7, 4096L, 4096L], new[] { 0, 3, 6 }.Select(i => ((Linear)vgg16.Model.Layer($"classifier.{i}")).in_features));
    }

    [Fact]
    public void UnknownLayerErrorListsTheLayers()
    {
        using var model = ModelZoo.Create("mnist1d-cnn");
        var e = Assert.Throws<ArgumentException>(() => model.Layer("nope"));
        Assert.Equal("mnist1d-cnn has no layer 'nope'; its layers are: conv1, conv2, conv3, linear", e.Message);
        Assert.Throws<ArgumentException>(() => model.Layer(""));
    }

    [Fact]
    public void Vgg7LayerIsTheConvolutionWithItsShape()
    {
        using var model = ModelZoo.Create("vgg7");
        var conv = Assert.IsType<Conv2d>(model.Layer("features.7"));
        Assert.Equal((64L, 64L), (conv.in_channels, conv.out_channels));
        Assert.Equal([3L, 3L], conv.kernel_size);
        Assert.Equal([1L, 1L], conv.padding);
        Assert.IsType<MaxPool2d>(model.Layer("features.9"));
        Assert.Equal(64, Assert.IsType<Linear>(model.Layer("classifier")).in_features);
    }

    public static TheoryData<string, string, long[], long[]> HookedLayers => new()
    {
        { "mnist1d-cnn", "conv3", [2, 1, 40], [2, 25, 5] },
        { "course-cnn1d", "conv3", [2, 1, 40], [2, 25, 40] },
        { "vgg7", "features.7", [2, 3, 32, 32], [2, 64, 16, 16] },
    };

    /// <summary>
    /// Grad-CAM's convention (DESIGN.md §4): a layer name means that module's output, before the ReLU that follows
    /// it. A hook on the layer sees a pre-activation (with negative values) of the expected shape, and the model's
    /// logits are the same with or without the hook.
    /// </summary>
    [Theory]
    [MemberData(nameof(HookedLayers))]
    public void HookOnALayerSeesItsPreActivationOutput(string arch, string layer, long[] input, long[] expected)
    {
        using var g = new torch.Generator(4);
        using var model = ModelZoo.Create(arch, generator: g);
        using var x = torch.randn(input, generator: g);
        var plain = ModelAssert.EvalLogits(model, x, out _);
        float[]? seen = null;
        long[]? seenShape = null;
        var hook = model.Layer(layer).register_forward_hook((_, _, output) =>
        {
            seen = output.data<float>().ToArray();
            seenShape = output.shape;
            return null;
        });
        try
        {
            Assert.Equal(plain, ModelAssert.EvalLogits(model, x, out _));
        }
        finally
        {
            hook.remove();
        }
        Assert.Equal(expected, seenShape);
        Assert.Contains(seen!, v => v < 0);
        Assert.Contains(seen!, v => v > 0);
    }

    [Fact]
    public void CheckInputNamesTheShapes()
    {
        using var cnn = ModelZoo.Create("mnist1d-cnn");
        using (var wrongLength = torch.zeros([2, 1, 41]))
        {
            var e = Assert.Throws<ArgumentException>(() => cnn.CheckInput(wrongLength));
            Assert.Equal("mnist1d-cnn takes inputs (N, 1, 40), got [2, 1, 41]", e.Message);
        }
        using (var noBatch = torch.zeros([1, 40]))
            Assert.Equal("mnist1d-cnn takes inputs (N, 1, 40), got [1, 40]", Assert.Throws<ArgumentException>(() => cnn.CheckInput(noBatch)).Message);
        using (var fits = torch.zeros([3, 1, 40])) cnn.CheckInput(fits);

        using var vgg7 = ModelZoo.Create("vgg7");
        using (var otherSize = torch.zeros([2, 3, 32, 48])) vgg7.CheckInput(otherSize);
        using (var gray = torch.zeros([2, 1, 32, 32]))
            Assert.Equal("vgg7 takes inputs (N, 3, 150, 150), got [2, 1, 32, 32]", Assert.Throws<ArgumentException>(() => vgg7.CheckInput(gray)).Message);
        using (var tiny = torch.zeros([2, 3, 3, 3]))
            Assert.Contains("got [2, 3, 3, 3]", Assert.Throws<ArgumentException>(() => vgg7.CheckInput(tiny)).Message);

        using var mnist = ModelZoo.Create("mnist-cnn");
        using (var larger = torch.zeros([2, 1, 32, 32]))
            Assert.Equal("mnist-cnn takes inputs (N, 1, 28, 28), got [2, 1, 32, 32]", Assert.Throws<ArgumentException>(() => mnist.CheckInput(larger)).Message);
    }

    [Fact]
    public void Vgg16CheckInput()
    {
        using (var full = torch.zeros([1, 3, 224, 224])) vgg16.Model.CheckInput(full);
        using (var small = torch.zeros([1, 3, 32, 40])) vgg16.Model.CheckInput(small);
        using var tooSmall = torch.zeros([1, 3, 16, 16]);
        Assert.Equal("vgg16 takes inputs (N, 3, 224, 224), got [1, 3, 16, 16]",
            Assert.Throws<ArgumentException>(() => vgg16.Model.CheckInput(tooSmall)).Message);
    }

    [Fact]
    public void CreateRejectsUnknownArchitecturesAndShapesThatDoNotFit()
    {
        var unknown = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet50"));
        Assert.Equal($"unknown architecture 'resnet50'; known: {string.Join(", ", ModelZoo.Names)}, or a model .yaml file", unknown.Message);

        Assert.Equal("mnist1d-cnn takes inputs (N, 1, 40), got [1, 1, 41]",
            Assert.Throws<ArgumentException>(() => ModelZoo.Create("mnist1d-cnn", inputShape: [1, 41])).Message);
        Assert.Contains("takes inputs (N, 3, 150, 150), got [1, 3, 32]",
            Assert.Throws<ArgumentException>(() => ModelZoo.Create("vgg7", inputShape: [3, 32])).Message);
        Assert.Contains("at least 4 x 4", Assert.Throws<ArgumentException>(() => ModelZoo.Create("vgg7", inputShape: [3, 2, 2])).Message);
        Assert.Contains("at least 8 x 8", Assert.Throws<ArgumentException>(() => ModelZoo.Create("yeast-cnn", inputShape: [2, 4, 4])).Message);
        Assert.Contains("at least 2 classes", Assert.Throws<ArgumentOutOfRangeException>(() => ModelZoo.Create("vgg7", numClasses: 1)).Message);
    }

    [Theory]
    [MemberData(nameof(SmallArchitectures))]
    public void SeededInitIsReproducibleAndDependsOnTheSeed(string arch)
    {
        Dictionary<string, float[]> Weights(ulong seed)
        {
            using var g = new torch.Generator(seed);
            using var model = ModelZoo.Create(arch, generator: g);
            return ModelAssert.StateValues(model);
        }
        var first = Weights(5);
        var again = Weights(5);
        var other = Weights(6);
        Assert.Equal(first.Keys, again.Keys);
        foreach (var (name, values) in first)
        {
            Assert.Equal(values, again[name]);
            Assert.NotEqual(values, other[name]);
        }
    }
}
