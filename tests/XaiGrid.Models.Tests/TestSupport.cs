using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Tests;

/// <summary>Runs Debian's /usr/bin/python3 (the one with numpy and torch; the python3 on PATH has neither).</summary>
internal static class PythonRunner
{
    public static string Run(string script, params string[] args) => Testing.Reference.Python(script, args);
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-models-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// One VGG16 for every test that needs it: building it allocates 528 MB of weights, so the tests that use it share a
/// collection (and run one after another) rather than each building their own.
/// </summary>
public sealed class Vgg16Fixture : IDisposable
{
    public Classifier Model { get; } = ModelZoo.Create("vgg16");

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class Vgg16Collection : ICollectionFixture<Vgg16Fixture>
{
    public const string Name = "vgg16";
}

internal static class ModelAssert
{
    /// <summary>Each parameter's and buffer's values as floats, by state-dict name.</summary>
    public static Dictionary<string, float[]> StateValues(torch.nn.Module model)
    {
        // TorchSharp's state_dict() holds the model's own tensors: they are not disposed here.
        var state = model.state_dict();
        return state.ToDictionary(kv => kv.Key, kv => Floats(kv.Value));
    }

    public static float[] Floats(Tensor t)
    {
        using var f = t.to(torch.float32);
        return f.data<float>().ToArray();
    }

    /// <summary>Runs <paramref name="model"/> in eval mode without autograd and returns the logits.</summary>
    public static float[] EvalLogits(Classifier model, Tensor input, out long[] shape)
    {
        model.eval();
        using var _ = torch.no_grad();
        model.CheckInput(input);
        using var logits = model.call(input);
        shape = logits.shape;
        return logits.data<float>().ToArray();
    }
}
