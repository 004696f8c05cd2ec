using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Attribution.Cam;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// A PyTorch checkpoint (<c>torch.save(model.state_dict())</c> by Debian's python3-torch, read through
/// TorchSharp.PyBridge) and its safetensors twin load to the same weights, so every map explained from one equals the
/// map explained from the other, bit for bit.
/// </summary>
public class CheckpointTests
{
    private const string Script = """
        folder, arch = sys.argv[1], sys.argv[2]
        model = build(arch, f'{folder}/{arch}.safetensors')
        torch.save(model.state_dict(), f'{folder}/{arch}.pt')
        """;

    [Theory]
    [InlineData("mnist1d-cnn", new long[] { 6, 1, 40 }, "conv3")]
    [InlineData("vgg7", new long[] { 2, 3, 20, 20 }, "features.7")]
    public void ATorchSaveCheckpointExplainsToTheSameMapsAsItsSafetensorsTwin(string arch, long[] shape, string layer)
    {
        using var folder = new TempDir();
        using var generator = new torch.Generator(8);
        using (var original = ModelZoo.Create(arch, generator: generator)) Trainer.SaveWeights(folder.File($"{arch}.safetensors"), original);
        PythonReference.Run(Script, folder.Path, arch);
        using var x = torch.randn(shape, generator: generator);

        using var fromSafetensors = ModelZoo.Create(arch);
        using var fromCheckpoint = ModelZoo.Create(arch);
        WeightFiles.Load(folder.File($"{arch}.safetensors"), fromSafetensors);
        WeightFiles.Load(folder.File($"{arch}.pt"), fromCheckpoint);
        foreach (var (name, method) in new (string, Func<Classifier, AttributionMethod>)[]
                 {
                     ("gradient", m => new Gradient(m)),
                     ("integrated-gradients", m => new IntegratedGradients(m, steps: 8)),
                     ("gradcam", m => new GradCam(m, layer)),
                 })
        {
            using var expected = method(fromSafetensors).Attribute(x);
            using var actual = method(fromCheckpoint).Attribute(x);
            Assert.True(TestData.Values(expected).Any(v => v != 0), $"{arch} {name}: every map is 0, the comparison shows nothing");
            Assert.Equal(TestData.Values(expected), TestData.Values(actual));
        }
    }
}
