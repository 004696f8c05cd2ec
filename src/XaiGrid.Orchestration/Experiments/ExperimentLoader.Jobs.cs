using XaiGrid.Explain;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Orchestration.Experiments;

public static partial class ExperimentLoader
{
    private const int DefaultTopK = 5;
    private const string InputsForm = "all, {class: C} or {ids: [ID, ..]}";

    private static ExplanationJob? ReadExplanation(ExperimentReader r, YamlNode node, IReadOnlySet<string> models, HashSet<string> names)
    {
        if (r.Mapping(node, "an explanation job", "name, model, inputs, target, methods") is not { } map) return null;
        int before = r.ProblemCount;
        r.OnlyKeys(map, "name", "model", "inputs", "target", "methods");
        var name = UniqueName(r, map, "explanations", names);
        string what = $"explanations '{name}'";
        var model = r.Required(map, "model", what) is { } modelNode ? Reference(r, modelNode, "model", models, $"{what} explain") : null;
        var inputs = r.Optional(map, "inputs") is { } inputsNode
            ? ReadSelector(r, inputsNode, InputSelector.Test)
            : new InputSelector(InputSelector.All, InputSelector.Test, null, null, r.At(map));
        var target = r.Optional(map, "target") is { } targetNode ? r.Choice(targetNode, "target", ExplanationJob.Targets) : ExplanationJob.Targets[0];
        var methods = new List<MethodSpec>();
        if (r.Required(map, "methods", what) is { } methodsNode && r.Sequence(methodsNode, "methods") is { } list)
        {
            if (list.Children.Count == 0) r.Problem(list, $"{what} lists no methods; known: {string.Join(", ", MethodCatalog.Names)}");
            foreach (var item in list.Children)
                if (ReadMethod(r, item) is { } method) methods.Add(method);
        }
        return r.ProblemCount > before ? null : new ExplanationJob(name!, model!, inputs!, target!, methods, r.At(map));
    }

    /// <summary>A method by name, or a mapping of method: NAME and its parameters, checked against the MethodCatalog.</summary>
    private static MethodSpec? ReadMethod(ExperimentReader r, YamlNode node)
    {
        YamlMappingNode? map = null;
        YamlNode? methodNode = node;
        if (node is not YamlScalarNode)
        {
            map = r.Mapping(node, "a method", "a method name, or method: NAME plus its parameters");
            methodNode = map is null ? null : r.Required(map, "method", "a method entry");
        }
        if (methodNode is null || r.Text(methodNode, "method") is not { } method) return null;
        if (!MethodCatalog.IsKnown(method))
        {
            r.Problem(methodNode, $"unknown method '{method}'; known: {string.Join(", ", MethodCatalog.Names)}");
            return null;
        }
        int before = r.ProblemCount;
        var allowed = MethodCatalog.Parameters(method);
        var parameters = new Dictionary<string, string>();
        foreach (var (key, keyNode, value) in map is null ? [] : r.Entries(map))
        {
            if (key == "method") continue;
            if (allowed.FirstOrDefault(p => p.Name == key) is not { } parameter)
            {
                r.Problem(keyNode, allowed.Count == 0 ? $"method '{method}' takes no parameters, got '{key}'"
                    : $"method '{method}' has no parameter '{key}'; allowed: {string.Join(", ", allowed.Select(p => p.Name))}");
                continue;
            }
            if (r.Text(value, $"{method} {key}") is not { } text) continue;
            try
            {
                MethodValues.Parse(method, parameter, text);
                parameters[key] = text;
            }
            catch (FormatException e)
            {
                r.Problem(value, e.Message);
            }
        }
        if (r.ProblemCount > before) return null;
        try
        {
            MethodCatalog.CheckParameters(method, parameters);
        }
        catch (ArgumentException e)
        {
            r.Problem(node, e.Message);
            return null;
        }
        return new MethodSpec(method, parameters, r.At(node));
    }

    private static InputSelector? ReadSelector(ExperimentReader r, YamlNode node, string split)
    {
        if (node is YamlScalarNode)
        {
            var text = r.Text(node, "inputs");
            if (text == InputSelector.All) return new InputSelector(InputSelector.All, split, null, null, r.At(node));
            if (text is not null) r.Problem(node, $"inputs must be {InputsForm}, got '{text}'");
            return null;
        }
        if (r.Mapping(node, "inputs", InputsForm) is not { } map) return null;
        r.OnlyKeys(map, "class", "ids");
        var classNode = r.Optional(map, "class");
        var idsNode = r.Optional(map, "ids");
        if ((classNode is null) == (idsNode is null))
        {
            r.Problem(node, $"inputs select by exactly one of class and ids: {InputsForm}");
            return null;
        }
        if (classNode is not null)
            return r.Int(classNode, "class", 0) is { } c ? new InputSelector(InputSelector.OfClass, split, c, null, r.At(classNode)) : null;
        return r.Wholes(idsNode!, "id", 0) is { } ids ? new InputSelector(InputSelector.ById, split, null, ids, r.At(idsNode!)) : null;
    }

    private static EvaluationJob? ReadEvaluation(ExperimentReader r, YamlNode node, IReadOnlySet<string> explanationNames,
        IReadOnlyList<ExplanationJob> explanations)
    {
        if (r.Mapping(node, "an evaluation", "explanations, metric and the metric's options") is not { } map) return null;
        int before = r.ProblemCount;
        var metric = r.Required(map, "metric", "an evaluation") is { } metricNode ? r.Choice(metricNode, "metric", EvaluationJob.Metrics) : null;
        var options = metric is null ? EvaluationJob.Metrics.SelectMany(EvaluationJob.OptionsOf).Distinct() : EvaluationJob.OptionsOf(metric);
        r.OnlyKeys(map, ["explanations", "metric", "method", .. options]);
        var source = r.Required(map, "explanations", "an evaluation") is { } sourceNode
            ? Reference(r, sourceNode, "explanations", explanationNames, "the evaluation reads") : null;
        var methodNode = r.Optional(map, "method");
        var method = methodNode is null ? null : r.Text(methodNode, "method");
        if (method is not null && explanations.FirstOrDefault(e => e.Name == source) is { } job && job.Methods.All(m => m.Method != method))
            r.Problem(methodNode!, $"explanations '{source}' have no method '{method}'; they have: {string.Join(", ", job.Methods.Select(m => m.Method).Distinct())}");

        double? frac = null;
        if (metric == EvaluationJob.DropIncrease && r.Required(map, "frac", "drop-increase") is { } fracNode && r.Number(fracNode, "frac") is { } f)
        {
            // The threshold is the map value at rank int(N * frac), which must be a rank below N.
            if (f is >= 0 and < 1) frac = f;
            else r.Problem(fracNode, $"frac must be in [0, 1), got {f}");
        }
        int? steps = null;
        if (metric is EvaluationJob.Insertion or EvaluationJob.Deletion && r.Required(map, "steps", metric) is { } stepsNode)
            steps = r.Int(stepsNode, "steps", 1);
        double baseline = r.Optional(map, "baseline") is { } baselineNode ? r.Number(baselineNode, "baseline") ?? 0 : 0;
        double? blur = null;
        if (r.Optional(map, "blur") is { } blurNode && r.Number(blurNode, "blur") is { } sigma)
        {
            if (sigma > 0) blur = sigma;
            else r.Problem(blurNode, $"blur (the Gaussian's sigma in positions) must be positive, got {sigma}");
        }
        ulong seed = r.Optional(map, "seed") is { } seedNode ? (ulong)(r.Whole(seedNode, "seed", 0) ?? 0) : 0;
        bool absolute = r.Optional(map, "absolute") is { } absoluteNode && (r.Flag(absoluteNode, "absolute") ?? false);
        return r.ProblemCount > before ? null
            : new EvaluationJob(source!, metric!, method, frac, steps, baseline, blur, seed, absolute, r.At(map));
    }

    private static InfluenceJob? ReadInfluence(ExperimentReader r, YamlNode node, IReadOnlySet<string> models, HashSet<string> names)
    {
        if (r.Mapping(node, "an influence job", "name, model, layer, qoi, doi, top_k, aggregate") is not { } map) return null;
        int before = r.ProblemCount;
        r.OnlyKeys(map, "name", "model", "layer", "qoi", "doi", "top_k", "aggregate", "inputs", "multiply_activation");
        var name = UniqueName(r, map, "influence", names);
        string what = $"influence '{name}'";
        var model = r.Required(map, "model", what) is { } modelNode ? Reference(r, modelNode, "model", models, $"{what} reads") : null;
        var layer = r.Required(map, "layer", what) is { } layerNode ? r.Text(layerNode, "layer") : null;
        var qoiNode = r.Optional(map, "qoi");
        var quantity = qoiNode is null ? new QuantityOfInterestSpec.Target() : ReadQuantity(r, qoiNode);
        var distribution = r.Required(map, "doi", what) is { } doiNode ? ReadDistribution(r, doiNode) : null;
        int topK = r.Optional(map, "top_k") is { } topNode ? r.Int(topNode, "top_k", 1) ?? DefaultTopK : DefaultTopK;
        var aggregate = r.Optional(map, "aggregate") is { } aggregateNode
            ? r.Choice(aggregateNode, "aggregate", InfluenceJob.Aggregates) : InfluenceJob.Aggregates[0];
        var inputsNode = r.Optional(map, "inputs");
        var multiplyNode = r.Optional(map, "multiply_activation");
        InputSelector? inputs = null;
        bool multiply = false;
        if (distribution is DistributionOfInterestSpec.Classes)
        {
            const string classWide = "class-wide influence (doi {class: ..}) reads the instances of its classes";
            if (inputsNode is not null) r.Problem(inputsNode, $"inputs apply to per-instance influence (doi point or path); {classWide}");
            if (multiplyNode is not null) r.Problem(multiplyNode, $"multiply_activation applies to per-instance influence (doi point or path); {classWide}");
        }
        else if (distribution is not null)
        {
            if (quantity is QuantityOfInterestSpec.Logits)
                r.Problem(qoiNode!, "per-instance influence takes qoi class, {class: C} or {compare: [C, C2]}; {logits: [..]} needs doi {class: ..}");
            inputs = inputsNode is null
                ? new InputSelector(InputSelector.All, InputSelector.Test, null, null, r.At(map))
                : ReadSelector(r, inputsNode, InputSelector.Test);
            multiply = multiplyNode is not null && (r.Flag(multiplyNode, "multiply_activation") ?? false);
        }
        return r.ProblemCount > before ? null
            : new InfluenceJob(name!, model!, layer!, quantity!, distribution!, topK, aggregate!, inputs, multiply, r.At(map));
    }

    private static QuantityOfInterestSpec? ReadQuantity(ExperimentReader r, YamlNode node)
    {
        const string form = "class, {class: C}, {compare: [C, C2]} or {logits: [W0, W1, ..]}";
        if (node is YamlScalarNode)
        {
            var text = r.Text(node, "qoi");
            if (text == "class") return new QuantityOfInterestSpec.Target();
            if (text is not null) r.Problem(node, $"qoi must be {form}, got '{text}'");
            return null;
        }
        if (r.Mapping(node, "qoi", form) is not { } map) return null;
        r.OnlyKeys(map, "class", "compare", "logits");
        if (map.Children.Count != 1)
        {
            r.Problem(node, $"qoi must be one of {form}");
            return null;
        }
        if (r.Optional(map, "class") is { } classNode)
            return r.Int(classNode, "class", 0) is { } c ? new QuantityOfInterestSpec.Class(c) : null;
        if (r.Optional(map, "compare") is { } compareNode)
        {
            var pair = r.Sequence(compareNode, "compare") is not null ? r.Wholes(compareNode, "class", 0, int.MaxValue) : null;
            if (pair is { Count: 2 }) return new QuantityOfInterestSpec.Compare((int)pair[0], (int)pair[1]);
            if (pair is not null) r.Problem(compareNode, $"compare takes two different classes [C, C2], got {pair.Count}");
            return null;
        }
        if (r.Optional(map, "logits") is { } logitsNode && r.Sequence(logitsNode, "logits") is { } weights)
        {
            var values = weights.Children.Select(w => r.Number(w, "logit weight")).ToList();
            if (values.Count == 0) r.Problem(logitsNode, "logits needs one weight per class");
            return values.Count > 0 && values.All(v => v is not null) ? new QuantityOfInterestSpec.Logits(values.Select(v => v!.Value).ToList()) : null;
        }
        return null;
    }

    private static DistributionOfInterestSpec? ReadDistribution(ExperimentReader r, YamlNode node)
    {
        const string form = "point, path, {path: {baseline: B, steps: S}} or {class: all|C|[C, ..], split: train|test}";
        if (node is YamlScalarNode)
        {
            switch (r.Text(node, "doi"))
            {
                case "point": return new DistributionOfInterestSpec.Point();
                case "path": return new DistributionOfInterestSpec.Path(null, null);
                case { } text: r.Problem(node, $"doi must be {form}, got '{text}'"); return null;
                default: return null;
            }
        }
        if (r.Mapping(node, "doi", form) is not { } map) return null;
        r.OnlyKeys(map, "path", "class", "split");
        var pathNode = r.Optional(map, "path");
        var classNode = r.Optional(map, "class");
        var splitNode = r.Optional(map, "split");
        if ((pathNode is null) == (classNode is null) || (pathNode is not null && splitNode is not null))
        {
            r.Problem(node, $"doi must be {form}");
            return null;
        }
        if (pathNode is not null)
        {
            if (r.Mapping(pathNode, "path", "baseline: B, steps: S") is not { } path) return null;
            r.OnlyKeys(path, "baseline", "steps");
            int before = r.ProblemCount;
            var baseline = r.Optional(path, "baseline") is { } baselineNode ? r.Number(baselineNode, "baseline") : null;
            var steps = r.Optional(path, "steps") is { } stepsNode ? r.Int(stepsNode, "steps", 1) : null;
            return r.ProblemCount > before ? null : new DistributionOfInterestSpec.Path(baseline, steps);
        }
        var split = splitNode is null ? DistributionOfInterestSpec.DefaultSplit : r.Choice(splitNode, "split", InputSelector.Splits);
        var classes = ReadClasses(r, classNode!);
        return classes is null || split is null ? null : new DistributionOfInterestSpec.Classes(classes, split);
    }

    /// <summary>all, one class, or a list of classes.</summary>
    private static ClassSelection? ReadClasses(ExperimentReader r, YamlNode node)
    {
        if (node is YamlScalarNode { Value: "all" }) return new ClassSelection(null, r.At(node));
        var classes = r.Wholes(node, "class", 0, int.MaxValue);
        return classes is null ? null : new ClassSelection(classes.Select(c => (int)c).ToList(), r.At(node));
    }

    private static CompressionJob? ReadCompression(ExperimentReader r, YamlNode node, IReadOnlySet<string> models, HashSet<string> names)
    {
        if (r.Mapping(node, "a compression job", "name, model, layer, classes, top, bottom, aggregate") is not { } map) return null;
        int before = r.ProblemCount;
        r.OnlyKeys(map, "name", "model", "layer", "classes", "top", "bottom", "aggregate");
        var name = UniqueName(r, map, "compression", names);
        string what = $"compression '{name}'";
        var model = r.Required(map, "model", what) is { } modelNode ? Reference(r, modelNode, "model", models, $"{what} reads") : null;
        var layer = r.Required(map, "layer", what) is { } layerNode ? r.Text(layerNode, "layer") : null;
        var classes = r.Optional(map, "classes") is { } classesNode ? ReadClasses(r, classesNode) : new ClassSelection(null, r.At(map));
        var top = r.Required(map, "top", what) is { } topNode ? r.Wholes(topNode, "top", 0, int.MaxValue) : null;
        var bottom = r.Optional(map, "bottom") is { } bottomNode ? r.Wholes(bottomNode, "bottom", 0, int.MaxValue) : [0];
        var aggregate = r.Optional(map, "aggregate") is { } aggregateNode
            ? r.Choice(aggregateNode, "aggregate", InfluenceJob.Aggregates) : InfluenceJob.Aggregates[0];
        return r.ProblemCount > before ? null
            : new CompressionJob(name!, model!, layer!, classes!, top!.Select(t => (int)t).ToList(), bottom!.Select(b => (int)b).ToList(), aggregate!, r.At(map));
    }

    /// <summary>The job's name, which must be new within its section.</summary>
    private static string? UniqueName(ExperimentReader r, YamlMappingNode map, string section, HashSet<string> names)
    {
        if (r.Required(map, "name", $"an entry of {section}") is not { } node || r.Text(node, "name") is not { } name) return null;
        if (!names.Add(name)) r.Problem(node, $"{section} name '{name}' is used twice");
        return name;
    }
}
