using System.Text.RegularExpressions;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Reads and validates experiment files (sections name, data, models, explanations, evaluations, influence,
/// compression, partition, report; experiments/*.yaml are examples). Validation reports every problem it finds with
/// file, line, column and the allowed values: unknown keys, wrong types, bad values, references that do not resolve,
/// data paths and model files that do not exist. It loads no data and writes nothing. Relative paths resolve against
/// the working folder, where the executors will resolve them too, unless <c>relativeTo</c> names another folder.
/// </summary>
public static partial class ExperimentLoader
{
    private static readonly string[] Sections =
        ["name", "data", "models", "explanations", "evaluations", "influence", "compression", "partition", "report"];

    private static readonly string[] DataKeys = ["spec", "image_size", "normalize", "test_fraction", "split_seed"];

    private static readonly string[] ModelKeys =
        ["arch", "data", .. GridAxis.Keys, "nesterov", "shuffle", "schedule", "step_size", "gamma", "augment", "seeds"];

    public static ExperimentDefinition Load(string path, string? relativeTo = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"experiment file not found: {path}", path);
        return Parse(File.ReadAllText(path), path, relativeTo);
    }

    /// <summary>The experiment in <paramref name="text"/>; problems name <paramref name="sourceName"/> as the file.</summary>
    public static ExperimentDefinition Parse(string text, string sourceName, string? relativeTo = null)
    {
        var r = new ExperimentReader(sourceName, relativeTo ?? Directory.GetCurrentDirectory());
        var definition = ReadFile(text, sourceName, r);
        if (r.ProblemCount > 0)
            throw new ExperimentValidationException(r.Problems.OrderBy(p => p.Location.Line).ThenBy(p => p.Location.Column).ToList());
        return definition ?? throw new InvalidOperationException($"{sourceName}: no experiment and no problem reported");
    }

    private static ExperimentDefinition? ReadFile(string text, string sourceName, ExperimentReader r)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            // YamlDotNet prefixes its message with the positions, which the problem's location already gives.
            var message = Regex.Replace(e.Message, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", "");
            r.Problem(new SourceLocation(sourceName, e.Start.Line, e.Start.Column), $"not valid YAML: {message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some unterminated flow collections; the last event it read is the place.
            var at = parser.Current?.End;
            r.Problem(new SourceLocation(sourceName, at?.Line ?? 1, at?.Column ?? 1),
                "not valid YAML: the YAML reader stopped after this point (an unclosed '{', '[' or quote?)");
            return null;
        }
        const string shape = "an experiment file is one YAML mapping with name, data, models and the job sections";
        if (stream.Documents.Count == 0)
        {
            r.Problem(new SourceLocation(sourceName, 1, 1), $"the file is empty; {shape}");
            return null;
        }
        if (stream.Documents.Count > 1) r.Problem(stream.Documents[1].RootNode, $"a second YAML document; {shape}");
        return r.Mapping(stream.Documents[0].RootNode, "the experiment", shape) is { } root ? ReadRoot(root, r) : null;
    }

    private static ExperimentDefinition? ReadRoot(YamlMappingNode root, ExperimentReader r)
    {
        r.OnlyKeys(root, Sections);
        var name = r.Required(root, "name", "an experiment") is { } nameNode ? r.Text(nameNode, "name") : null;

        var data = new List<DataEntry>();
        var dataNames = new HashSet<string>();
        foreach (var (entryName, value) in Named(r, root, "data", "NAME: {spec: ...} for each data set"))
        {
            dataNames.Add(entryName);
            if (ReadData(r, entryName, value) is { } entry) data.Add(entry);
        }

        var models = new List<ModelDefinition>();
        var modelNames = new HashSet<string>();
        foreach (var (modelName, value) in Named(r, root, "models", "NAME: {arch: ..., data: ..., ...} for each model"))
        {
            modelNames.Add(modelName);
            if (ReadModel(r, modelName, value, dataNames) is { } model) models.Add(model);
        }

        var explanationNames = new HashSet<string>();
        var explanations = Items(r, root, "explanations").Select(node => ReadExplanation(r, node, modelNames, explanationNames)).ToList();
        var evaluations = Items(r, root, "evaluations")
            .Select(node => ReadEvaluation(r, node, explanationNames, explanations.OfType<ExplanationJob>().ToList())).ToList();
        var influenceNames = new HashSet<string>();
        var influence = Items(r, root, "influence").Select(node => ReadInfluence(r, node, modelNames, influenceNames)).ToList();
        var compressionNames = new HashSet<string>();
        var compression = Items(r, root, "compression").Select(node => ReadCompression(r, node, modelNames, compressionNames)).ToList();
        var partition = r.Optional(root, "partition") is { } partitionNode ? ReadPartition(r, partitionNode) : new PartitionSettings();
        var report = r.Optional(root, "report") is { } reportNode ? ReadReport(r, reportNode) : new ReportSettings();

        if (r.ProblemCount > 0) return null;
        return new ExperimentDefinition(name!, r.Nodes.Source, data, models, explanations.OfType<ExplanationJob>().ToList(),
            evaluations.OfType<EvaluationJob>().ToList(), influence.OfType<InfluenceJob>().ToList(),
            compression.OfType<CompressionJob>().ToList(), partition!, report!);
    }

    /// <summary>The entries of a required NAME: {...} section.</summary>
    private static IEnumerable<(string Name, YamlNode Value)> Named(ExperimentReader r, YamlMappingNode root, string section, string form)
    {
        if (r.Required(root, section, "an experiment") is not { } node || r.Mapping(node, section, form) is not { } map) return [];
        if (map.Children.Count == 0) r.Problem(node, $"{section} is empty; expected {form}");
        return r.Entries(map).Select(e => (e.Key, e.Value)).ToList();
    }

    /// <summary>The items of an optional list section.</summary>
    private static IReadOnlyList<YamlNode> Items(ExperimentReader r, YamlMappingNode root, string section) =>
        r.Optional(root, section) is { } node && r.Sequence(node, section) is { } list ? list.Children.ToList() : [];

    private static DataEntry? ReadData(ExperimentReader r, string name, YamlNode node)
    {
        int before = r.ProblemCount;
        var defaults = new DataSpecOptions();
        YamlNode? specNode = node;
        int? imageSize = null;
        bool normalize = defaults.Normalize;
        double testFraction = defaults.TestFraction;
        ulong splitSeed = defaults.SplitSeed;
        if (node is not YamlScalarNode)
        {
            if (r.Mapping(node, $"data '{name}'", "spec: DATA SPEC plus options, or just the spec") is not { } map) return null;
            r.OnlyKeys(map, DataKeys);
            specNode = r.Required(map, "spec", $"data '{name}'");
            if (r.Optional(map, "image_size") is { } sizeNode) imageSize = r.Int(sizeNode, "image_size", 1);
            if (r.Optional(map, "normalize") is { } normalizeNode) normalize = r.Flag(normalizeNode, "normalize") ?? normalize;
            if (r.Optional(map, "test_fraction") is { } fractionNode && r.Number(fractionNode, "test_fraction") is { } fraction)
            {
                if (fraction is > 0 and < 1) testFraction = fraction;
                else r.Problem(fractionNode, $"test_fraction must be between 0 and 1 (exclusive), got {fraction}");
            }
            if (r.Optional(map, "split_seed") is { } seedNode) splitSeed = (ulong)(r.Whole(seedNode, "split_seed", 0) ?? 0);
        }
        var spec = specNode is null ? null : r.Text(specNode, "spec");
        if (spec is not null && DataSpecProblem(spec, r.RelativeTo) is { } problem) r.Problem(specNode!, problem);
        return r.ProblemCount > before ? null : new DataEntry(name, spec!, imageSize, normalize, testFraction, splitSeed);
    }

    /// <summary>What is wrong with a data specification without loading it: its form, and whether its paths exist.</summary>
    private static string? DataSpecProblem(string spec, string relativeTo)
    {
        if (DataEntry.BundledNames.Contains(spec)) return null;
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || parts.Any(p => p.Length == 0)) return $"'{spec}' is not a data specification; a data specification is {DataSpec.Description}";
        if (parts.Length == 2 && !(parts.All(p => HasExtension(p, ".npy")) || parts.All(p => HasExtension(p, ".hdf5", ".h5"))))
            return $"a pair of files is IMAGES.npy,LABELS.npy or TRAIN.hdf5,TEST.hdf5, got '{spec}'";
        foreach (var part in parts)
        {
            var full = Path.GetFullPath(part, relativeTo);
            if (File.Exists(full) || Directory.Exists(full)) continue;
            if (parts.Length == 1 && !part.Contains('.') && !part.Contains('/') && !part.Contains('\\'))
                return $"unknown data set '{part}'; a data specification is {DataSpec.Description}";
            return $"missing dataset path '{part}' (relative paths resolve against {relativeTo})";
        }
        return null;
    }

    private static bool HasExtension(string path, params string[] extensions) =>
        extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static ModelDefinition? ReadModel(ExperimentReader r, string name, YamlNode node, IReadOnlySet<string> dataNames)
    {
        string what = $"model '{name}'";
        if (r.Mapping(node, what) is not { } map) return null;
        int before = r.ProblemCount;
        r.OnlyKeys(map, ModelKeys);
        var arch = r.Required(map, "arch", what) is { } archNode ? ReadArch(r, archNode) : null;
        var data = r.Required(map, "data", what) is { } dataNode ? Reference(r, dataNode, "data", dataNames, $"{what} reads") : null;

        var options = new TrainingOptions { WeightDecay = arch is null ? 0 : ModelZoo.DefaultWeightDecay(arch) };
        var grid = new List<GridAxis>();
        foreach (var key in GridAxis.Keys)
        {
            if (r.Optional(map, key) is not { } valueNode || GridValues(r, key, valueNode) is not { } values) continue;
            if (valueNode is YamlSequenceNode) grid.Add(new GridAxis(key, values));
            else options = GridAxis.Set(options, key, values[0]);
        }
        if (r.Optional(map, "nesterov") is { } nesterovNode && r.Flag(nesterovNode, "nesterov") is { } nesterov)
            options = options with { Nesterov = nesterov };
        if (r.Optional(map, "shuffle") is { } shuffleNode && r.Flag(shuffleNode, "shuffle") is { } shuffle)
            options = options with { Shuffle = shuffle };
        if (r.Optional(map, "schedule") is { } scheduleNode && r.Text(scheduleNode, "schedule") is { } schedule)
        {
            options = options with { Schedule = schedule };
            CheckOption(r, scheduleNode, "schedule", new TrainingOptions { Epochs = 1, Schedule = schedule });
        }
        if (r.Optional(map, "step_size") is { } stepSizeNode && r.Int(stepSizeNode, "step_size") is { } stepSize)
        {
            options = options with { StepSize = stepSize };
            CheckOption(r, stepSizeNode, "step_size", new TrainingOptions { Epochs = 1, StepSize = stepSize });
        }
        if (r.Optional(map, "gamma") is { } gammaNode && r.Number(gammaNode, "gamma") is { } gamma)
        {
            if (gamma > 0) options = options with { Gamma = gamma };
            else r.Problem(gammaNode, $"gamma must be positive, got {gamma}");
        }
        if (r.Optional(map, "augment") is { } augmentNode && ReadAugmentation(r, augmentNode) is { } augmentation)
            options = options with { Augmentation = augmentation };
        CheckOption(r, map, what, new TrainingOptions
        {
            Epochs = r.Optional(map, "epochs") is null ? null : 1,
            Steps = r.Optional(map, "steps") is null ? null : 1,
        });
        var seeds = r.Optional(map, "seeds") is { } seedsNode ? r.Wholes(seedsNode, "seed", 0) : [0];

        if (r.ProblemCount > before) return null;
        return new ModelDefinition(name, arch!, data!, options, grid, seeds!.Select(s => (ulong)s).ToList(), r.At(map));
    }

    private static string? ReadArch(ExperimentReader r, YamlNode node)
    {
        var arch = r.Text(node, "arch");
        if (arch is null || ModelZoo.Names.Contains(arch)) return arch;
        if (HasExtension(arch, ".yaml", ".yml"))
        {
            if (File.Exists(Path.GetFullPath(arch, r.RelativeTo))) return arch;
            r.Problem(node, $"missing model file '{arch}' (relative paths resolve against {r.RelativeTo})");
            return null;
        }
        r.Problem(node, $"unknown architecture '{arch}'; known: {string.Join(", ", ModelZoo.Names)}, or a model .yaml file");
        return null;
    }

    /// <summary>The values of a grid option (one, or a list), each checked by <see cref="TrainingOptions.Validate"/>.</summary>
    private static List<object>? GridValues(ExperimentReader r, string key, YamlNode node)
    {
        if (r.OneOrMany(node, key) is not { } items) return null;
        int before = r.ProblemCount;
        var values = new List<object>();
        foreach (var item in items)
        {
            object? value = key switch
            {
                "optimizer" => r.Text(item, key),
                "lr" or "momentum" or "weight_decay" => r.Number(item, key),
                "batch_size" or "epochs" => r.Int(item, key),
                _ => r.Whole(item, key),
            };
            if (value is null) continue;
            if (values.Contains(value))
            {
                r.Problem(item, $"{key} {GridAxis.Format(value)} is listed twice");
                continue;
            }
            // TrainingOptions does not check momentum; a negative one would silently reverse the velocity.
            if (key == "momentum" && (double)value < 0) r.Problem(item, $"momentum must be at least 0, got {GridAxis.Format(value)}");
            else CheckOption(r, item, key, GridAxis.Set(key == "steps" ? new TrainingOptions() : new TrainingOptions { Epochs = 1 }, key, value));
            values.Add(value);
        }
        return r.ProblemCount > before ? null : values;
    }

    /// <summary>Reports what <see cref="TrainingOptions.Validate"/> says about <paramref name="probe"/>, at <paramref name="node"/>.</summary>
    private static void CheckOption(ExperimentReader r, YamlNode node, string what, TrainingOptions probe)
    {
        try
        {
            probe.Validate();
        }
        catch (ArgumentException e)
        {
            r.Problem(node, $"{what}: {e.Message}");
        }
    }

    private static Augmentation? ReadAugmentation(ExperimentReader r, YamlNode node)
    {
        if (r.Mapping(node, "augment", "flip: true|false, crop: PIXELS") is not { } map) return null;
        r.OnlyKeys(map, "flip", "crop");
        bool flip = r.Optional(map, "flip") is { } flipNode && (r.Flag(flipNode, "flip") ?? false);
        int crop = r.Optional(map, "crop") is { } cropNode ? r.Int(cropNode, "crop", 0) ?? 0 : 0;
        return new Augmentation(HorizontalFlip: flip, VerticalFlip: flip, CropPadding: crop);
    }

    /// <summary>A name that must be one of <paramref name="defined"/>.</summary>
    private static string? Reference(ExperimentReader r, YamlNode node, string kind, IReadOnlySet<string> defined, string context)
    {
        var name = r.Text(node, kind);
        if (name is null || defined.Contains(name)) return name;
        r.Problem(node, $"{context} {kind} '{name}', which is not defined; defined: {(defined.Count == 0 ? "none" : string.Join(", ", defined))}");
        return null;
    }

    private static PartitionSettings? ReadPartition(ExperimentReader r, YamlNode node)
    {
        if (r.Mapping(node, "partition", "inputs_per_cell, samples_per_cell, instances_per_cell") is not { } map) return null;
        r.OnlyKeys(map, "inputs_per_cell", "samples_per_cell", "instances_per_cell");
        var settings = new PartitionSettings();
        if (r.Optional(map, "inputs_per_cell") is { } inputs && r.Int(inputs, "inputs_per_cell", 1) is { } perCell)
            settings = settings with { InputsPerCell = perCell };
        if (r.Optional(map, "samples_per_cell") is { } samples) settings = settings with { SamplesPerCell = r.Whole(samples, "samples_per_cell", 1) };
        if (r.Optional(map, "instances_per_cell") is { } instances) settings = settings with { InstancesPerCell = r.Whole(instances, "instances_per_cell", 1) };
        return settings;
    }

    private static ReportSettings? ReadReport(ExperimentReader r, YamlNode node)
    {
        if (r.Mapping(node, "report", "examples: N") is not { } map) return null;
        r.OnlyKeys(map, "examples");
        return new ReportSettings(r.Optional(map, "examples") is { } examples ? r.Int(examples, "examples", 0) : null);
    }
}
