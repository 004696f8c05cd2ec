using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Tests;

/// <summary>
/// Grad-CAM and Grad-CAM++ maps computed by python3-torch with the same definitions (a forward hook, autograd.grad,
/// the channel weights, ReLU, F.interpolate) for seeded vgg7 on two HMT tiles cut to 150 x 124 (so that the axes
/// can't be swapped unnoticed) and seeded mnist1d-cnn on MNIST-1D test sequences, at two layers each.
/// </summary>
public sealed class CamReference : IDisposable
{
    public static readonly (string arch, string layer)[] Layers =
        [("vgg7", "features.2"), ("vgg7", "features.7"), ("mnist1d-cnn", "conv1"), ("mnist1d-cnn", "conv3")];

    public static TheoryData<string, string> LayerData()
    {
        var data = new TheoryData<string, string>();
        foreach (var (arch, layer) in Layers) data.Add(arch, layer);
        return data;
    }

    private const string Script = ModelFiles.PythonModels + """
        out = sys.argv[1]

        def cam(model, layer, x, targets, plus):
            kept = []
            handle = dict(model.named_modules())[layer].register_forward_hook(lambda m, i, o: kept.append(o))
            logits = model(x)
            handle.remove()
            a = kept[0]
            g, = torch.autograd.grad(logits.gather(1, targets[:, None]).sum(), a)
            a, g = a.detach().double(), g.double()
            axes = tuple(range(2, a.dim()))
            if plus:
                g2 = g ** 2
                alpha = g2 / (2 * g2 + a.sum(axes, keepdim=True) * g2 * g + 1e-6)
                w = (alpha * g.clamp(min=0)).sum(axes)
            else:
                w = g.mean(axes)
            c = (w.reshape(w.shape + (1,) * len(axes)) * a).sum(1, keepdim=True).clamp(min=0)
            mode = 'linear' if a.dim() == 3 else 'bilinear'
            return F.interpolate(c, size=tuple(x.shape[2:]), mode=mode, align_corners=False)

        for arch, make in [('vgg7', Vgg7), ('mnist1d-cnn', Mnist1DCnn)]:
            model = load_model(make, f'{out}/{arch}.safetensors')
            x = torch.from_numpy(np.load(f'{out}/x-{arch}.npy'))
            targets = torch.from_numpy(np.load(f'{out}/targets-{arch}.npy'))
            for layer in sys.argv[2].split(','):
                if layer.startswith(arch + ':'):
                    layer = layer.split(':')[1]
                    for kind, plus in [('gradcam', False), ('gradcampp', True)]:
                        np.save(f'{out}/{kind}-{arch}-{layer}.npy', cam(model, layer, x, targets, plus).numpy())
        """;

    private readonly TempDir dir = new();
    private readonly Dictionary<string, Classifier> models = new();
    private readonly Dictionary<string, Tensor> inputs = new();

    public CamReference()
    {
        using (var g = new torch.Generator(5)) models["vgg7"] = ModelZoo.Create("vgg7", generator: g);
        using (var g = new torch.Generator(6)) models["mnist1d-cnn"] = ModelZoo.Create("mnist1d-cnn", generator: g);
        using (var scope = torch.NewDisposeScope())
        {
            var tiles = torch.stack([TestData.HmtTile("01_TUMOR"), TestData.HmtTile("04_LYMPHO")]).narrow(3, 13, 124);
            inputs["vgg7"] = scope.Detach(tiles.contiguous());
            inputs["mnist1d-cnn"] = scope.Detach(TestData.Mnist1DTest(0, 6).inputs);
        }
        Targets["vgg7"] = [3, 6];
        Targets["mnist1d-cnn"] = [0, 1, 2, 3, 4, 5];
        foreach (var (arch, model) in models)
        {
            ModelFiles.Save(model, dir.File($"{arch}.safetensors"));
            Npy.save(dir.File($"x-{arch}.npy"), inputs[arch]);
            using var t = torch.tensor(Targets[arch]);
            Npy.save(dir.File($"targets-{arch}.npy"), t);
        }
        TestData.Python(Script, dir.Path, string.Join(",", Layers.Select(l => $"{l.arch}:{l.layer}")));
    }

    public Dictionary<string, long[]> Targets { get; } = new();

    public Classifier Model(string arch) => models[arch];

    public Tensor Inputs(string arch) => inputs[arch];

    /// <summary>python's maps, "gradcam" or "gradcampp".</summary>
    public Tensor Maps(string kind, string arch, string layer) => Npy.load(dir.File($"{kind}-{arch}-{layer}.npy"));

    public void Dispose()
    {
        foreach (var m in models.Values) m.Dispose();
        foreach (var t in inputs.Values) t.Dispose();
        dir.Dispose();
    }
}
