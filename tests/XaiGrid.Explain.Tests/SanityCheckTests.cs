using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Sanity;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Xunit.Abstractions;

namespace XaiGrid.Explain.Tests;

/// <summary>A "method" that ignores the model: its map is the input itself.</summary>
internal sealed class InputItself(Classifier model) : AttributionMethod(model)
{
    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids) => inputs.clone();
}

/// <summary>A "method" whose every map is zero.</summary>
internal sealed class ZeroMap(Classifier model) : AttributionMethod(model)
{
    protected override Tensor Compute(Tensor inputs, long[] targets, long[] ids) => torch.zeros_like(inputs);
}

public class SanityCheckTests(TrainedMnist1DCnn trained, ITestOutputHelper output) : IClassFixture<TrainedMnist1DCnn>
{
    private static Dictionary<string, double[]> Weights(Classifier model)
    {
        // state_dict() holds the model's own tensors: not ours to dispose.
        return model.state_dict().ToDictionary(kv => kv.Key, kv => TestData.Values(kv.Value));
    }

    private void Print(string label, SanityCheckResult result) =>
        output.WriteLine($"{label}: " + string.Join(", ", result.Layers.Select(l => $"{l.Layer} {l.MeanCorrelation:F3}")));

    [Fact]
    public void GradientMapsChangeAsTheLayersAreRandomized()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 16);
        var before = Weights(trained.Model);
        var check = new SanityCheck(trained.Model, m => new Gradient(m), seed: 3);
        Assert.Equal(new[] { "conv1", "conv2", "conv3", "linear" }, check.ParametrizedLayers);
        var result = check.Run(x);
        var absolute = new SanityCheck(trained.Model, m => new Gradient(m), seed: 3, absolute: true).Run(x);
        Print("gradient", result);
        Print("|gradient|", absolute);

        Assert.Equal(new[] { "linear", "conv3", "conv2", "conv1" }, result.Layers.Select(l => l.Layer));
        Assert.All(result.Layers, l => Assert.Equal(16, l.Correlations.Length));
        Assert.All(result.Layers, l => Assert.Equal(l.Correlations.Average(), l.MeanCorrelation, 12));
        // Signed gradients lose their ranking as soon as the output layer is random.
        Assert.All(result.Layers, l => Assert.True(l.MeanCorrelation < 0.5, $"{l.Layer}: {l.MeanCorrelation:F3}"));
        // Their magnitudes keep some of it at the top and lose more with every layer randomized below.
        Assert.True(absolute.Layers[0].MeanCorrelation < 0.9, $"top layer: {absolute.Layers[0].MeanCorrelation:F3}");
        for (int i = 1; i < absolute.Layers.Length; i++)
            Assert.True(absolute.Layers[i].MeanCorrelation < absolute.Layers[i - 1].MeanCorrelation,
                $"|gradient| correlation after {absolute.Layers[i].Layer} is not below the one after {absolute.Layers[i - 1].Layer}");
        // The trained weights are back, bit for bit.
        var after = Weights(trained.Model);
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public void AMethodThatIgnoresTheModelKeepsCorrelationOneAndFails()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 8);
        var result = new SanityCheck(trained.Model, m => new InputItself(m), seed: 3).Run(x);
        Print("input itself", result);
        Assert.All(result.Layers, l => Assert.All(l.Correlations, r => Assert.Equal(1.0, r, 12)));
    }

    /// <summary>
    /// A constant map (what Grad-CAM gives once randomization kills its layer) has no ranks: its correlation is NaN,
    /// and the result's JSON, which the cell stores, keeps the NaN rather than failing to serialize it.
    /// </summary>
    [Fact]
    public void AConstantMapHasNoCorrelationAndItsNaNSurvivesTheStoredJson()
    {
        using var x = trained.Data.Test.Inputs.narrow(0, 0, 2);
        var result = new SanityCheck(trained.Model, m => new ZeroMap(m), seed: 3).Run(x);
        Assert.All(result.Layers, l => Assert.All(l.Correlations, r => Assert.True(double.IsNaN(r))));
        var json = result.ToJson();
        Assert.Contains("\"NaN\"", json);
        var back = SanityCheckResult.FromJson(json);
        Assert.Equal(result.Layers.Select(l => l.Layer), back.Layers.Select(l => l.Layer));
        Assert.All(back.Layers, l => Assert.True(double.IsNaN(l.MeanCorrelation) && l.Correlations.All(double.IsNaN)));
    }

    [Fact]
    public void TheCascadeKeepsTheRandomizationsAboveEachLayer()
    {
        using var generator = new torch.Generator(30);
        using var model = new Mnist1DCnn(generator: generator);
        using var x = torch.randn([2, 1, 40], generator: generator);
        var trainedWeights = Weights(model);
        var seen = new List<Dictionary<string, double[]>>();
        var result = new SanityCheck(model, m => { seen.Add(Weights(m)); return new Gradient(m); }, seed: 11).Run(x);
        Assert.Equal(5, seen.Count);

        // What each layer should hold once randomized: PyTorch's default init from Seeds.Generator(11, layer index).
        var layers = new[] { "conv1", "conv2", "conv3", "linear" };
        using var fresh = new Mnist1DCnn();
        for (int i = 0; i < layers.Length; i++)
        {
            using var g = Seeds.Generator(11, i);
            switch (fresh.Layer(layers[i]))
            {
                case TorchSharp.Modules.Conv1d c: Init.reset_parameters(c.weight!, c.bias, g); break;
                case TorchSharp.Modules.Linear l: Init.reset_parameters(l.weight!, l.bias, g); break;
            }
        }
        var randomized = Weights(fresh);
        // seen[0] is the trained model; seen[k] has the top k layers randomized.
        for (int k = 0; k <= layers.Length; k++)
        for (int i = 0; i < layers.Length; i++)
        {
            bool isRandom = i >= layers.Length - k;
            foreach (var p in new[] { "weight", "bias" })
            {
                var name = $"{layers[i]}.{p}";
                Assert.Equal((isRandom ? randomized : trainedWeights)[name], seen[k][name]);
            }
        }
        var again = new SanityCheck(model, m => new Gradient(m), seed: 11).Run(x);
        Assert.Equal(result.Layers.SelectMany(l => l.Correlations), again.Layers.SelectMany(l => l.Correlations));
        Assert.Equal(trainedWeights.Values.SelectMany(v => v), Weights(model).Values.SelectMany(v => v));
    }
}
