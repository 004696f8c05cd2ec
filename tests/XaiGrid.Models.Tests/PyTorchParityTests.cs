using System.Text.Json;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Models.Tests;

/// <summary>
/// The architectures written independently in python3-torch (from DESIGN.md §6 and the docstrings), then models
/// initialized and trained there, saved as safetensors and loaded here.
/// </summary>
public sealed class PyTorchReference : IDisposable
{
    public const ulong InitSeed = 11;

    private const string Script = """
        import json, struct, sys
        import numpy as np
        import torch
        from torch import nn
        import torch.nn.functional as F

        out = sys.argv[1]

        class Mnist1DCnn(nn.Module):  # Greydanus's ConvBase
            def __init__(self, k=10):
                super().__init__()
                self.conv1 = nn.Conv1d(1, 25, 5, stride=2, padding=1)
                self.conv2 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.conv3 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.linear = nn.Linear(125, k)
            def forward(self, x):
                h = self.conv1(x).relu()
                h = self.conv2(h).relu()
                h = self.conv3(h).relu()
                return self.linear(h.view(h.shape[0], -1))

        class Mnist1DMlp(nn.Module):  # Greydanus's MLP
            def __init__(self, k=10):
                super().__init__()
                self.linear1 = nn.Linear(40, 100)
                self.linear2 = nn.Linear(100, 100)
                self.linear3 = nn.Linear(100, k)
            def forward(self, x):
                h = self.linear1(x.flatten(1)).relu()
                h = h + self.linear2(h).relu()
                return self.linear3(h)

        class Mnist1DLogistic(nn.Module):
            def __init__(self, k=10):
                super().__init__()
                self.linear = nn.Linear(40, k)
            def forward(self, x):
                return self.linear(x.flatten(1))

        class CourseCnn1D(nn.Module):
            def __init__(self, k=10, length=40):
                super().__init__()
                self.conv1 = nn.Conv1d(1, 25, 5, padding='same')
                self.conv2 = nn.Conv1d(25, 25, 3, padding='same')
                self.conv3 = nn.Conv1d(25, 25, 3, padding='same')
                self.linear = nn.Linear(25 * length, k)
            def forward(self, x):
                h = F.relu(self.conv1(x))
                h = F.relu(self.conv2(h))
                h = F.relu(self.conv3(h))
                return self.linear(torch.flatten(h, 1))

        class Vgg7(nn.Module):
            def __init__(self, k=8):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Linear(64, k)
            def forward(self, x):
                return self.classifier(self.features(x).mean(dim=(2, 3)))

        class MnistCnn(nn.Module):
            def __init__(self, k=10):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Sequential(nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, k))
            def forward(self, x):
                return self.classifier(torch.flatten(self.features(x), 1))

        class YeastCnn(nn.Module):
            def __init__(self, k=19):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(2, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Dropout(0.5), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, k))
            def forward(self, x):
                return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), (4, 4)), 1))

        def vgg16(device):
            # torchvision.models.vgg16() (configuration D), written out: torchvision is not installed.
            layers, c = [], 3
            for v in [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']:
                if v == 'M':
                    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                else:
                    layers += [nn.Conv2d(c, v, kernel_size=3, padding=1, device=device), nn.ReLU(inplace=True)]
                    c = v
            m = nn.Module()
            m.features = nn.Sequential(*layers)
            m.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            m.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096, device=device), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096, device=device), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 1000, device=device))
            return m

        def save_safetensors(state, path):
            # Written by hand: torch 1.13 has no safetensors package.
            header, blobs, offset = {}, [], 0
            for name, t in state.items():
                data = t.detach().contiguous().numpy().tobytes()
                dtype = {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype]
                header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
                blobs.append(data)
                offset += len(data)
            text = json.dumps(header).encode()
            text += b' ' * (-len(text) % 8)
            with open(path, 'wb') as f:
                f.write(struct.pack('<Q', len(text)))
                f.write(text)
                for b in blobs:
                    f.write(b)

        archs = {
            'mnist1d-cnn': (Mnist1DCnn, (6, 1, 40), 10),
            'mnist1d-mlp': (Mnist1DMlp, (6, 1, 40), 10),
            'mnist1d-logistic': (Mnist1DLogistic, (6, 1, 40), 10),
            'course-cnn1d': (CourseCnn1D, (6, 1, 40), 10),
            'vgg7': (Vgg7, (4, 3, 32, 32), 8),
            'mnist-cnn': (MnistCnn, (4, 1, 28, 28), 10),
            'yeast-cnn': (YeastCnn, (4, 2, 64, 64), 19),
        }
        names = {'vgg16': [[k, list(v.shape)] for k, v in vgg16('meta').state_dict().items()]}
        for i, (arch, (make, shape, k)) in enumerate(archs.items()):
            torch.manual_seed(int(sys.argv[2]))
            model = make()
            names[arch] = [[n, list(v.shape)] for n, v in model.state_dict().items()]
            save_safetensors(model.state_dict(), f'{out}/init-{arch}.safetensors')

            torch.manual_seed(100 + i)
            model = make()
            opt = torch.optim.Adam(model.parameters(), lr=1e-2)
            x = torch.randn(shape)
            y = torch.randint(0, k, (shape[0],))
            for _ in range(5):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
            model.eval()
            test = np.random.default_rng(i).standard_normal(shape).astype(np.float32)
            with torch.no_grad():
                logits = model(torch.from_numpy(test))
            save_safetensors(model.state_dict(), f'{out}/trained-{arch}.safetensors')
            torch.save(model.state_dict(), f'{out}/trained-{arch}.pt')
            np.save(f'{out}/x-{arch}.npy', test)
            np.save(f'{out}/logits-{arch}.npy', logits.numpy())
        with open(f'{out}/names.json', 'w') as f:
            json.dump(names, f)
        """;

    private readonly TempDir dir = new();

    public PyTorchReference()
    {
        PythonRunner.Run(Script, dir.Path, InitSeed.ToString());
        using var names = JsonDocument.Parse(System.IO.File.ReadAllText(dir.File("names.json")));
        StateShapes = names.RootElement.EnumerateObject().ToDictionary(
            arch => arch.Name,
            arch => arch.Value.EnumerateArray().Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToList());
    }

    /// <summary>PyTorch's state-dict names (in order) and shapes by architecture.</summary>
    public IReadOnlyDictionary<string, List<(string name, long[] shape)>> StateShapes { get; }

    public string File(string name) => dir.File(name);

    public void Dispose() => dir.Dispose();
}

[Collection(Vgg16Collection.Name)]
public class PyTorchParityTests(PyTorchReference reference, Vgg16Fixture vgg16) : IClassFixture<PyTorchReference>
{
    public static TheoryData<string> SmallArchitectures => new(ModelZoo.Names.Where(n => n != "vgg16"));

    private void AssertNamesAndShapes(string arch, torch.nn.Module model)
    {
        var state = model.state_dict();
        var expected = reference.StateShapes[arch];
        Assert.Equal(expected.Select(e => e.name), state.Keys);
        foreach (var (name, shape) in expected) Assert.True(shape.SequenceEqual(state[name].shape), $"{arch} {name}: shape [{string.Join(", ", state[name].shape)}], PyTorch has [{string.Join(", ", shape)}]");
    }

    [Theory]
    [MemberData(nameof(SmallArchitectures))]
    public void StateDictNamesAndShapesMatchPyTorch(string arch)
    {
        using var model = ModelZoo.Create(arch);
        AssertNamesAndShapes(arch, model);
    }

    [Fact]
    public void Vgg16StateDictNamesAndShapesMatchTorchvisionsLayout()
    {
        Assert.Equal(32, reference.StateShapes["vgg16"].Count);
        AssertNamesAndShapes("vgg16", vgg16.Model);
    }

    /// <summary>
    /// A generator seeded s draws PyTorch's default init in PyTorch's construction order, so the same seed gives the
    /// same float32 weights as torch.manual_seed(s) followed by the python definition: the layers are built in the
    /// same order with the same shapes and fan-ins.
    /// </summary>
    [Theory]
    [MemberData(nameof(SmallArchitectures))]
    public void SeededInitEqualsPyTorchsManualSeed(string arch)
    {
        using var g = new torch.Generator(PyTorchReference.InitSeed);
        using var model = ModelZoo.Create(arch, generator: g);
        var ours = ModelAssert.StateValues(model);
        var python = SafeTensors.load_file(reference.File($"init-{arch}.safetensors"));
        try
        {
            Assert.Equal(ours.Keys.Order(), python.Keys.Order());
            foreach (var (name, t) in python) Assert.True(ours[name].SequenceEqual(ModelAssert.Floats(t)), $"{arch} {name}: values differ from PyTorch's");
        }
        finally
        {
            foreach (var t in python.Values) t.Dispose();
        }
    }

    public static TheoryData<string, string> TrainedFiles
    {
        get
        {
            var files = new TheoryData<string, string>();
            foreach (var arch in ModelZoo.Names.Where(n => n != "vgg16"))
            {
                files.Add(arch, ".safetensors");
                files.Add(arch, ".pt");
            }
            return files;
        }
    }

    /// <summary>
    /// The acceptance test of DESIGN.md §6: a model trained in PyTorch loads as is, from safetensors or from
    /// torch.save(model.state_dict()), and gives PyTorch's logits (eval mode, so dropout is off) to 1e-5 of the
    /// largest logit.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrainedFiles))]
    public void PyTorchTrainedWeightsGivePyTorchsLogits(string arch, string extension)
    {
        using var model = ModelZoo.Create(arch);
        WeightFiles.Load(reference.File($"trained-{arch}{extension}"), model);
        using var x = Npy.load(reference.File($"x-{arch}.npy"));
        using var expectedLogits = Npy.load(reference.File($"logits-{arch}.npy"));
        var expected = expectedLogits.data<float>().ToArray();
        var actual = ModelAssert.EvalLogits(model, x, out var shape);
        Assert.Equal(expectedLogits.shape, shape);
        double scale = expected.Max(v => Math.Abs((double)v));
        double diff = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(diff <= 1e-5 * scale, $"{arch}: max |logit difference| {diff:G3}, max |logit| {scale:G3}");
    }

    [Fact]
    public void APyTorchCheckpointOfAnotherArchitectureNamesTheFirstMissingTensor()
    {
        using var model = ModelZoo.Create("mnist1d-cnn");
        using var dir = new TempDir();
        // .pth is read as .pt is.
        var path = dir.File("mlp.pth");
        System.IO.File.Copy(reference.File("trained-mnist1d-mlp.pt"), path);
        var e = Assert.Throws<InvalidDataException>(() => WeightFiles.Load(path, model));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing keys: conv1.weight, conv1.bias", e.Message);
        // A .pt file's names come in ordinal order (PyBridge reads the OrderedDict as a Hashtable).
        Assert.Contains("unexpected keys: linear1.bias, linear1.weight, linear2.bias", e.Message);
    }

    [Fact]
    public void AFileThatIsNoPyTorchCheckpointIsNamed()
    {
        using var model = ModelZoo.Create("mnist1d-cnn");
        using var dir = new TempDir();
        var path = dir.File("weights.pt");
        System.IO.File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => WeightFiles.Load(path, model)).Message);
    }
}
