using XaiGrid.Models.Architectures;
using XaiGrid.Models.Inspection;
using XaiGrid.Torch;
namespace XaiGrid.Models.Tests;
public class ScratchTests
{
    [Fact]
    public void Explore()
    {
        var lines = new List<string>();
        using var generator = new torch.Generator(21);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        using var vgg = ModelZoo.Create("vgg7", inputShape: [3, 16, 16], generator: generator);
        foreach (var (m, obj, lr, lam, jit) in new (Classifier, FeatureObjective, double, double, int)[] {
            (vgg, new FeatureObjective.ClassLogit(2), 1, 1e-3, 2), (vgg, new FeatureObjective.ClassLogit(2), 10, 1e-3, 2), (vgg, new FeatureObjective.ClassLogit(2), 10, 1e-3, 0),
            (vgg, new FeatureObjective.LayerChannel("features.7", 3), 10, 1e-3, 2),
            (model, new FeatureObjective.LayerChannel("conv2", 7), 5, 1e-3, 0), (model, new FeatureObjective.LayerChannel("conv2", 7), 5, 1e-3, 2) })
        {
            using var run = FeatureVisualization.Run(m, obj,
                new FeatureVisualizationOptions { Steps = 60, LearningRate = lr, L2Decay = lam, Jitter = jit, StartNoise = 0.1, Seed = 5 });
            using var n = run.Input.square().sum().sqrt();
            lines.Add($"{m.Arch} {obj} lr {lr} lam {lam} jit {jit}: {string.Join(" ", run.History.Where((_, i) => i % 10 == 0).Select(v => v.ToString("F4")))} final {run.History[^1]:F4} norm {n.item<double>():F3}");
        }
        Assert.Fail(string.Join("\n", lines));
    }
}
