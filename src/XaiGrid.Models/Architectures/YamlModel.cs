using System.Runtime.InteropServices;
using TorchSharp;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;
using XaiGrid.Models.Programs;
using XaiGrid.Models.Yaml;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// A network defined as a layer list in YAML, run in order. Layers are registered at the top level, so their names
/// are the state-dict prefixes (<c>conv1.weight</c>), as in a PyTorch nn.Sequential(OrderedDict(...)). Input
/// channels and features are inferred by running a zero input through the layers built so far.
/// <code>
/// input: [1, 40]
/// classes: 10
/// layers:
///   - {type: conv1d, name: conv1, out: 16, kernel: 5, padding: same}
///   - {type: relu}
///   - {type: maxpool1d, kernel: 2}
///   - {type: flatten}
///   - {type: linear, name: fc, out: 10}
/// </code>
/// Layer types: conv1d, conv2d (out, kernel, stride, padding: number|same|valid, dilation, groups, bias), linear
/// (out, bias), relu, maxpool1d, maxpool2d, avgpool1d, avgpool2d (kernel, stride), globalavgpool (averages all
/// positions), dropout (p), flatten, batchnorm2d. Unnamed layers are named by their position.
/// </summary>
public sealed class YamlModel : Classifier
{
    public static readonly string[] LayerTypes =
        ["conv1d", "conv2d", "linear", "relu", "maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d", "globalavgpool", "dropout", "flatten", "batchnorm2d"];

    private readonly List<nn.Module<Tensor, Tensor>> layers = new();

    private YamlModel(string name, long[] inputShape, int numClasses) : base(name, inputShape, numClasses) { }

    private readonly List<ProgramStep> steps = new();

    /// <summary>
    /// Every layer as a step: the oneDNN program runs lists of conv1d, conv2d, relu, maxpool1d, maxpool2d, globalavgpool,
    /// flatten, linear and dropout.
    /// </summary>
    protected override IReadOnlyList<ProgramStep> Steps => steps;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = input;
        foreach (var layer in layers) h = layer.call(h);
        return scope.MoveToOuter(h);
    }

    public static YamlModel Load(string path, Generator? generator = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        return Parse(File.ReadAllText(path), path, generator);
    }

    /// <summary>Builds the model described by <paramref name="yaml"/>; errors name <paramref name="source"/>, line and column.</summary>
    public static YamlModel Parse(string yaml, string source, Generator? generator = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new YamlFileException(source, e.Start.Line, e.Start.Column, e.Message);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException($"{source}: a model file is one YAML mapping with input, classes and layers");
        var reader = new NodeReader(source);
        reader.OnlyKeys(root, "name", "input", "classes", "layers");
        var name = reader.OptionalString(root, "name") ?? Path.GetFileNameWithoutExtension(source);
        var inputNode = reader.Required(root, "input");
        var input = reader.LongList(inputNode, "input");
        if (input.Length is < 2 or > 3 || input.Any(d => d <= 0))
            throw reader.Error(inputNode, "input must be [C, L] or [C, H, W] with positive sizes");
        var classesNode = reader.Required(root, "classes");
        long classes = reader.Long(classesNode, "classes");
        if (classes is < 2 or > int.MaxValue) throw reader.Error(classesNode, $"classes must be at least 2, got {classes}");
        var layersNode = reader.Required(root, "layers");
        if (layersNode is not YamlSequenceNode list || list.Children.Count == 0)
            throw reader.Error(layersNode, "layers must be a non-empty list");

        var model = new YamlModel(name, input, (int)classes);
        try
        {
            using (torch.no_grad())
            {
                var shape = new long[] { 1 }.Concat(input).ToArray();
                for (int i = 0; i < list.Children.Count; i++)
                {
                    if (list.Children[i] is not YamlMappingNode node) throw reader.Error(list.Children[i], "a layer is a mapping with a type");
                    var layerName = reader.OptionalString(node, "name") ?? i.ToString();
                    if (layerName.Length == 0 || layerName.Contains('.')) throw reader.Error(node, $"layer name '{layerName}' must be non-empty and without '.'");
                    if (model.named_children().Any(c => c.name == layerName)) throw reader.Error(node, $"layer name '{layerName}' is used twice");
                    nn.Module<Tensor, Tensor> layer;
                    try
                    {
                        layer = BuildLayer(reader, node, shape, generator);
                    }
                    catch (Exception e) when (e is ArgumentException or ExternalException)
                    {
                        // The layer constructors' own checks (e.g. out: 0, groups that don't divide the channels).
                        throw reader.Error(node, $"layer '{layerName}': {e.Message}");
                    }
                    model.register_module(layerName, layer);
                    model.layers.Add(layer);
                    model.steps.Add(layer is GlobalAveragePool
                        ? new ProgramStep(layerName, layer, ProgramStep.Operation.GlobalMean)
                        : ProgramStep.Of(layerName, layer));
                    using var probe = torch.zeros(shape);
                    model.eval();
                    try
                    {
                        using var output = layer.call(probe);
                        shape = output.shape;
                    }
                    catch (ExternalException e)
                    {
                        throw reader.Error(node, $"layer '{layerName}' does not fit its input [{string.Join(", ", shape)}]: {e.Message}");
                    }
                }
                if (shape.Length != 2 || shape[1] != classes)
                    throw reader.Error(list.Children[^1], $"the last layer must give (N, {classes}) logits, it gives [{string.Join(", ", shape)}]");
            }
            model.train();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static nn.Module<Tensor, Tensor> BuildLayer(NodeReader r, YamlMappingNode node, long[] shape, Generator? generator)
    {
        var typeNode = r.Required(node, "type");
        var type = r.String(typeNode, "type");
        long channels = shape.Length > 1 ? shape[1] : 0;
        switch (type)
        {
            case "conv1d":
            case "conv2d":
            {
                r.OnlyKeys(node, "type", "name", "out", "kernel", "stride", "padding", "dilation", "groups", "bias");
                int spatial = type == "conv1d" ? 1 : 2;
                if (shape.Length != spatial + 2) throw r.Error(node, $"{type} needs a {spatial + 2}-d input, the previous layer gives [{string.Join(", ", shape)}]");
                long outChannels = r.Long(r.Required(node, "out"), "out"), kernel = r.Long(r.Required(node, "kernel"), "kernel");
                long stride = r.OptionalLong(node, "stride") ?? 1, dilation = r.OptionalLong(node, "dilation") ?? 1, groups = r.OptionalLong(node, "groups") ?? 1;
                bool bias = r.OptionalBool(node, "bias") ?? true;
                long padding = 0;
                Padding? named = null;
                if (node.Children.TryGetValue(new YamlScalarNode("padding"), out var p))
                {
                    var text = r.String(p, "padding");
                    if (text == "same") named = Padding.Same;
                    else if (text == "valid") named = Padding.Valid;
                    else padding = r.Long(p, "padding");
                }
                // Checked here: TorchSharp's constructors leave it to libtorch, whose error names no layer.
                if (channels <= 0 || outChannels <= 0 || groups <= 0)
                    throw new ArgumentException($"{(spatial == 1 ? "Conv1d" : "Conv2d")}: in_channels ({channels}), out_channels ({outChannels}) and groups ({groups}) must be positive");
                nn.Module<Tensor, Tensor> conv = (type, named) switch
                {
                    ("conv1d", null) => nn.Conv1d(channels, outChannels, kernel, stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias),
                    ("conv1d", _) => nn.Conv1d(channels, outChannels, kernel, named.Value, stride: stride, dilation: dilation, groups: groups, bias: bias),
                    (_, null) => nn.Conv2d(channels, outChannels, kernel, stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias),
                    _ => nn.Conv2d(channels, outChannels, kernel, named.Value, stride: stride, dilation: dilation, groups: groups, bias: bias),
                };
                return Init.reset_parameters(conv, generator);
            }
            case "linear":
                r.OnlyKeys(node, "type", "name", "out", "bias");
                if (shape.Length != 2) throw r.Error(node, $"linear needs a flat (N, features) input; add a flatten layer before it (input is [{string.Join(", ", shape)}])");
                return Init.reset_parameters(nn.Linear(shape[1], r.Long(r.Required(node, "out"), "out"), r.OptionalBool(node, "bias") ?? true), generator);
            case "relu":
                r.OnlyKeys(node, "type", "name");
                return nn.ReLU();
            case "flatten":
                r.OnlyKeys(node, "type", "name");
                return nn.Flatten();
            case "globalavgpool":
                r.OnlyKeys(node, "type", "name");
                return new GlobalAveragePool();
            case "dropout":
                r.OnlyKeys(node, "type", "name", "p");
                return new SeededDropout(r.OptionalDouble(node, "p") ?? 0.5);
            case "batchnorm2d":
                r.OnlyKeys(node, "type", "name");
                return nn.BatchNorm2d(channels);
            case "maxpool1d":
            case "maxpool2d":
            case "avgpool1d":
            case "avgpool2d":
            {
                r.OnlyKeys(node, "type", "name", "kernel", "stride");
                long kernel = r.Long(r.Required(node, "kernel"), "kernel");
                long? stride = r.OptionalLong(node, "stride");
                return type switch
                {
                    "maxpool1d" => nn.MaxPool1d(kernel, stride),
                    "maxpool2d" => nn.MaxPool2d(kernel, stride),
                    "avgpool1d" => nn.AvgPool1d(kernel, stride),
                    _ => nn.AvgPool2d(kernel, stride),
                };
            }
            default:
                throw r.Error(typeNode, $"unknown layer type '{type}'; known: {string.Join(", ", LayerTypes)}");
        }
    }

    /// <summary>Averages all positions of (N, C, ...) into (N, C).</summary>
    private sealed class GlobalAveragePool() : nn.Module<Tensor, Tensor>(nameof(GlobalAveragePool))
    {
        public override Tensor forward(Tensor input) =>
            input.mean(Enumerable.Range(2, (int)input.ndim - 2).Select(d => (long)d).ToArray());
    }
}
