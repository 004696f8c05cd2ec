using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;

namespace XaiGrid.Explain.Tests;

/// <summary>Shared data (../shared/data beside the repository), Debian's python3-torch, and map comparisons.</summary>
internal static class TestData
{
    public static string File(params string[] parts) => Path.Combine([Testing.Reference.DataDir, .. parts]);

    /// <summary>MNIST-1D test sequences [start, start + count) and their labels; the caller owns the inputs.</summary>
    public static (Tensor inputs, long[] targets) Mnist1DTest(long start, long count)
    {
        var (x, y) = Mnist1D.Load(File("mnist1d")).TestTensors();
        using (y)
        using (x)
            return (x.narrow(0, start, count).contiguous(), y.narrow(0, start, count).data<long>().ToArray());
    }

    /// <summary>The first tile (in name order) of an HMT test class folder, (3, 150, 150) in [0, 1].</summary>
    public static Tensor HmtTile(string classFolder) =>
        ImageFile.Read(Directory.GetFiles(File("hmt", "HMT_test", classFolder), "*.tif").Order().First());

    /// <summary>Runs a script with /usr/bin/python3 (the one with numpy and torch); arguments arrive in sys.argv[1:].</summary>
    public static string Python(string script, params string[] args) => Testing.Reference.Python(script, args);

    /// <summary>A tensor's values as doubles, row-major.</summary>
    public static double[] Values(Tensor t)
    {
        using var d = t.to(ScalarType.Float64);
        return d.contiguous().data<double>().ToArray();
    }

    /// <summary>
    /// Every map (a slice along the first axis) of <paramref name="actual"/> matches <paramref name="expected"/> to
    /// <paramref name="relative"/> of that map's largest |value| (absolute 1e-12 for an all-zero map). Returns the
    /// largest relative difference seen.
    /// </summary>
    public static double AssertClose(Tensor expected, Tensor actual, double relative, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double[] want = Values(expected), got = Values(actual);
        int n = (int)expected.size(0), per = want.Length / n;
        double worst = 0;
        for (int m = 0; m < n; m++)
        {
            double scale = Math.Max(want.Skip(m * per).Take(per).Max(Math.Abs), 1e-12 / relative);
            for (int i = m * per; i < (m + 1) * per; i++)
            {
                double r = Math.Abs(want[i] - got[i]) / scale;
                worst = Math.Max(worst, r);
                Assert.True(r <= relative, $"{what}: map {m}, element {i - m * per}: expected {want[i]:R}, got {got[i]:R} (relative {r:E2})");
            }
        }
        return worst;
    }

    /// <summary>The flat positions of the <paramref name="k"/> largest values of a one-channel map (1, ...) or (...).</summary>
    public static long[] TopPositions(Tensor map, int k) =>
        Values(map).Select((v, i) => (v, i: (long)i)).OrderByDescending(p => p.v).Take(k).Select(p => p.i).ToArray();
}

/// <summary>A fresh empty folder under the temp directory, deleted when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-explain-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// A 2-class network that sees only the block rows [Top, Top + Size) x columns [Left, Left + Size) of a (3, 32, 32)
/// input: h = Conv2d(3, 4, 1) (named "conv", positive weights, no bias) of x times the block's indicator, then
/// ReLU, the mean over positions and Linear(4, 2) with logit 0 = Gain * sum_k mean_k - Offset and logit 1 = -logit 0.
/// On positive inputs, class 0 grows with what the block holds and nothing outside it matters.
/// </summary>
internal sealed class RegionModel : Classifier
{
    public const long Side = 32, Top = 6, Left = 14, Size = 12;

    private readonly Conv2d conv = torch.nn.Conv2d(3, 4, 1, bias: false);
    private readonly Linear linear = torch.nn.Linear(4, 2);
    private readonly Tensor region;

    public RegionModel(double gain = 4, double offset = 2) : base("region-test", [3, Side, Side], 2)
    {
        using (torch.no_grad())
        {
            using var w = torch.tensor(new float[] { 0.5f, 0.3f, 0.2f, 0.4f, 0.1f, 0.6f, 0.3f, 0.3f, 0.3f, 0.2f, 0.5f, 0.4f }, [4, 3, 1, 1]);
            conv.weight.copy_(w);
            using var g = torch.tensor(new float[] { (float)gain, (float)gain, (float)gain, (float)gain, (float)-gain, (float)-gain, (float)-gain, (float)-gain }, [2, 4]);
            linear.weight.copy_(g);
            using var b = torch.tensor(new float[] { (float)-offset, (float)offset });
            linear.bias!.copy_(b);
        }
        register_module("conv", conv);
        register_module("linear", linear);
        var mask = new float[Side * Side];
        for (long i = Top; i < Top + Size; i++)
            for (long j = Left; j < Left + Size; j++)
                mask[i * Side + j] = 1;
        region = torch.tensor(mask, [1, 1, Side, Side]);
        register_buffer("region", region, persistent: false);
    }

    public static bool Inside(long flatPosition)
    {
        long i = flatPosition / Side, j = flatPosition % Side;
        return i >= Top && i < Top + Size && j >= Left && j < Left + Size;
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var pooled = conv.call(input * region).relu().mean([2L, 3L]);
        return scope.MoveToOuter(linear.call(pooled));
    }
}

/// <summary>A 2-class linear model on flattened inputs of <c>inputShape</c>: logits = W x + b, with the given W (2, numel).</summary>
internal sealed class LinearModel : Classifier
{
    private readonly Linear linear;

    public LinearModel(long[] inputShape, float[] weight, float[] bias) : base("linear-test", inputShape, 2)
    {
        long features = inputShape.Aggregate(1L, (a, b) => a * b);
        linear = torch.nn.Linear(features, 2);
        using (torch.no_grad())
        {
            using var w = torch.tensor(weight, [2, features]);
            linear.weight.copy_(w);
            using var b = torch.tensor(bias);
            linear.bias!.copy_(b);
        }
        register_module("linear", linear);
    }

    public override Tensor forward(Tensor input)
    {
        using var flat = input.flatten(1);
        return linear.call(flat);
    }
}

/// <summary>
/// A tiny 1-D network whose layer gradients are known in closed form: A = conv(x), a 1 x 1 Conv1d(1, 2) named "conv"
/// with weights (1, -2) and no bias, so A_0 = x and A_1 = -2 x; logit c = 1/2 sum_k v_ck sum_j A_kj^2 with
/// v_0 = (1/2, 1), v_1 = (1, 0), so dS_0/dA_0 = A_0 / 2 and dS_0/dA_1 = A_1.
/// </summary>
internal sealed class SquareModel : Classifier
{
    private readonly Conv1d conv = torch.nn.Conv1d(1, 2, 1, bias: false);
    private readonly Tensor v;

    public SquareModel(long length) : base("square-test", [1, length], 2)
    {
        using (torch.no_grad())
        {
            using var w = torch.tensor(new float[] { 1, -2 }, [2, 1, 1]);
            conv.weight.copy_(w);
        }
        register_module("conv", conv);
        v = torch.tensor(new float[] { 0.5f, 1, 1, 0 }, [1, 2, 2, 1]);
        register_buffer("v", v, persistent: false);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var a = conv.call(input).unsqueeze(1);
        return scope.MoveToOuter((a.square() * v).sum([2L, 3L]) * 0.5);
    }
}

internal static class ModelFiles
{
    /// <summary>Writes a model's state dict as safetensors with PyTorch's names.</summary>
    public static void Save(torch.nn.Module model, string path)
    {
        // state_dict() holds the model's own tensors: nothing to dispose.
        SafeTensors.save_file(model.state_dict(), path);
    }

    /// <summary>python: the architectures of DESIGN.md §6 written independently, and a safetensors reader written by hand (torch 1.13 has none).</summary>
    public const string PythonModels = """
        import json, struct, sys
        import numpy as np
        import torch
        from torch import nn
        import torch.nn.functional as F

        def load_safetensors(path):
            with open(path, 'rb') as f:
                data = f.read()
            n = struct.unpack('<Q', data[:8])[0]
            header = json.loads(data[8:8 + n])
            body = data[8 + n:]
            state = {}
            for name, entry in header.items():
                if name == '__metadata__':
                    continue
                dtype = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}[entry['dtype']]
                start, end = entry['data_offsets']
                state[name] = torch.from_numpy(np.frombuffer(body[start:end], dtype=dtype).reshape(entry['shape']).copy())
            return state

        class Mnist1DCnn(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv1d(1, 25, 5, stride=2, padding=1)
                self.conv2 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.conv3 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
                self.linear = nn.Linear(125, 10)
            def forward(self, x):
                h = self.conv1(x).relu()
                h = self.conv2(h).relu()
                h = self.conv3(h).relu()
                return self.linear(h.flatten(1))

        class Vgg7(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Linear(64, 8)
            def forward(self, x):
                return self.classifier(self.features(x).mean(dim=(2, 3)))

        def load_model(make, path):
            model = make()
            model.load_state_dict(load_safetensors(path))
            return model.eval()

        """;
}

/// <summary>Forward hooks as IDisposable for <c>using</c> (TorchSharp's HookRemover only has remove()).</summary>
internal static class TestHooks
{
    public static IDisposable Forward(nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor?> hook)
    {
        var handle = module.register_forward_hook(hook);
        return new Remover(handle.remove);
    }

    private sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
