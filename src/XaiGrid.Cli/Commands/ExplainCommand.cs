using System.CommandLine;
using Spectre.Console;
using XaiGrid.Explain;
using XaiGrid.Explain.Evaluation;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Cli.Commands;

/// <summary>
/// <c>xaigrid explain</c> and <c>xaigrid evaluate</c>: explanation maps of a trained model for inputs in a .npy file,
/// and their faithfulness metrics.
/// </summary>
internal static class ExplainCommand
{
    private static readonly string[] Metrics = ["drop-increase", "insertion", "deletion"];

    private sealed record ModelOptions(Option<string> Arch, Option<string> Weights, Option<int?> Classes, Option<string> Inputs, Option<int?> Threads,
        Option<string> Device);

    private static ModelOptions CommonOptions() => new(
        new Option<string>("--arch") { Description = $"architecture: {string.Join(", ", ModelZoo.Names)}, or a model .yaml file", Required = true },
        new Option<string>("--weights") { Description = "trained weights (.safetensors, PyTorch state-dict names)", Required = true },
        new Option<int?>("--classes") { Description = "number of classes (default: the architecture's)" },
        new Option<string>("--inputs") { Description = "float32 .npy inputs in the model's layout, (N, C, L) or (N, C, H, W)", Required = true },
        new Option<int?>("--threads") { Description = "libtorch threads" },
        DeviceOption.Create());

    private static Option<string[]> SetOption() => new("--set")
    {
        Description = "a parameter as key=value (repeatable)", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [],
    };

    public static Command CreateExplain()
    {
        var common = CommonOptions();
        var targets = new Option<string?>("--targets") { Description = "int64 .npy target classes (default: the predicted classes)" };
        var method = new Option<string>("--method") { Description = $"one of: {string.Join(", ", MethodCatalog.Names)}", Required = true };
        var layer = new Option<string?>("--layer") { Description = "the layer of layer methods (gradcam, gradcam++, influence)" };
        var set = SetOption();
        var maxBatch = new Option<int>("--max-batch") { Description = "most items in one forward pass", DefaultValueFactory = _ => 128 };
        var output = new Option<string>("--out") { Description = "maps .npy (float32, shaped like the inputs or the layer)", Required = true };
        var command = new Command("explain", "Explanation maps of a trained model")
        {
            common.Arch, common.Weights, common.Classes, common.Inputs, common.Threads, common.Device, targets, method, layer, set, maxBatch, output,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var parameters = ParseSet(parse.GetValue(set)!);
            if (parse.GetValue(layer) is { } l) parameters["layer"] = l;
            using var scope = torch.NewDisposeScope();
            var (model, inputs) = Load(parse, common);
            using (model)
            {
                var y = parse.GetValue(targets) is { } t ? Targets(t, inputs.size(0)) : null;
                var attribution = MethodCatalog.Create(model, parse.GetValue(method)!, parameters, parse.GetValue(maxBatch));
                var maps = attribution.Attribute(inputs, y);
                var path = parse.GetValue(output)!;
                Npy.save(path, maps);
                AnsiConsole.MarkupLineInterpolated($"wrote {parse.GetValue(method)} maps [[{string.Join(", ", maps.shape)}]] to {path}");
            }
            return 0;
        }));
        return command;
    }

    public static Command CreateEvaluate()
    {
        var common = CommonOptions();
        var targets = new Option<string>("--targets") { Description = "int64 .npy target classes", Required = true };
        var maps = new Option<string>("--maps") { Description = "maps .npy from xaigrid explain", Required = true };
        var metric = new Option<string>("--metric") { Description = string.Join("|", Metrics), Required = true };
        var set = SetOption();
        var json = new Option<string>("--json") { Description = "result file", Required = true };
        var command = new Command("evaluate", "Faithfulness of explanation maps: Drop% and Increase%, insertion or deletion AUC")
        {
            common.Arch, common.Weights, common.Classes, common.Inputs, common.Threads, common.Device, targets, maps, metric, set, json,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var name = parse.GetValue(metric)!;
            if (!Metrics.Contains(name)) throw new ArgumentException($"unknown metric '{name}'; allowed: {string.Join(", ", Metrics)}");
            var parameters = ParseSet(parse.GetValue(set)!);
            var allowed = name == "drop-increase" ? new[] { "frac" } : ["steps", "baseline"];
            foreach (var key in parameters.Keys.Where(k => !allowed.Contains(k)))
                throw new ArgumentException($"metric '{name}' has no parameter '{key}'; allowed: {string.Join(", ", allowed)}");

            using var scope = torch.NewDisposeScope();
            var (model, inputs) = Load(parse, common);
            using (model)
            {
                var y = Targets(parse.GetValue(targets)!, inputs.size(0));
                var mapsPath = parse.GetValue(maps)!;
                var m = LoadNpy(mapsPath).to(inputs.device);
                string result;
                if (name == "drop-increase")
                {
                    var r = new DropIncrease(model, Number(parameters, "frac", 0.3)).Evaluate(inputs, m, y);
                    AnsiConsole.MarkupLineInterpolated($"Drop% {r.DropPct:F2}, Increase% {r.IncreasePct:F2} over {r.Count} items");
                    result = r.ToJson();
                }
                else
                {
                    var mode = name == "insertion" ? InsertionDeletionMode.Insertion : InsertionDeletionMode.Deletion;
                    var r = new InsertionDeletion(model, mode, (int)Number(parameters, "steps", 100)) { Baseline = Number(parameters, "baseline", 0) }
                        .Evaluate(inputs, m, y);
                    AnsiConsole.MarkupLineInterpolated($"{name} AUC {r.Auc:F4} over {r.Count} items");
                    result = r.ToJson();
                }
                File.WriteAllText(parse.GetValue(json)!, result);
            }
            return 0;
        }));
        return command;
    }

    private static (Classifier model, Tensor inputs) Load(ParseResult parse, ModelOptions common)
    {
        var device = DeviceOption.Resolve(parse, common.Device);
        if (parse.GetValue(common.Threads) is { } n) torch.set_num_threads(n);
        var inputsPath = parse.GetValue(common.Inputs)!;
        var inputs = LoadNpy(inputsPath);
        if (inputs.dtype != ScalarType.Float32) throw new InvalidDataException($"{inputsPath}: inputs must be float32, got {inputs.dtype}");
        var model = ModelZoo.Create(parse.GetValue(common.Arch)!, parse.GetValue(common.Classes), inputs.shape[1..]);
        try
        {
            model.CheckInput(inputs);
            Trainer.LoadWeights(parse.GetValue(common.Weights)!, model);
            model.to(device);
            model.eval();
            // The maps and metrics are computed where the model is; .npy files are written from CPU copies.
            return (model, inputs.to(device));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static Tensor LoadNpy(string path) =>
        File.Exists(path) ? Npy.load(path) : throw new FileNotFoundException($"file not found: {path}", path);

    private static long[] Targets(string path, long n)
    {
        using var t = LoadNpy(path);
        if (t.dtype != ScalarType.Int64 || t.ndim != 1 || t.size(0) != n)
            throw new InvalidDataException($"{path}: targets must be int64 of shape [{n}], got {t.dtype} [{string.Join(", ", t.shape)}]");
        return t.data<long>().ToArray();
    }

    private static Dictionary<string, string> ParseSet(string[] items)
    {
        var result = new Dictionary<string, string>();
        foreach (var item in items)
        {
            int eq = item.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set takes key=value, got '{item}'");
            result[item[..eq]] = item[(eq + 1)..];
        }
        return result;
    }

    private static double Number(Dictionary<string, string> parameters, string key, double fallback)
    {
        if (!parameters.TryGetValue(key, out var text)) return fallback;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new ArgumentException($"{key} must be a number, got '{text}'");
    }
}
