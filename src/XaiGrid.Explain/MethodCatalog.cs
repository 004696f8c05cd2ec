namespace XaiGrid.Explain;

/// <summary>A parameter of an explanation method, as written in experiment files and <c>--set key=value</c>.</summary>
public sealed record MethodParameter(string Name, string Type, string Default, string Description);

/// <summary>
/// The explanation methods by name and the parameters each accepts, the one list that the command line and
/// experiment files check against.
/// </summary>
public static partial class MethodCatalog
{
    private static readonly MethodParameter Seed = new("seed", "int", "0", "seeds the random draws (with the input id and sample index)");
    private static readonly MethodParameter Layer = new("layer", "layer name", "", "the named layer (e.g. conv3, features.7)");
    private static readonly MethodParameter Baseline = new("baseline", "number", "0", "the value that stands for an absent feature");

    private static readonly Dictionary<string, MethodParameter[]> Methods = new()
    {
        ["gradient"] = [],
        ["gradient-x-input"] = [],
        ["smoothgrad"] =
        [
            new("n", "int", "50", "noise samples"),
            new("sigma", "number", "0.15", "noise std as a fraction of the input's value range"), Seed,
        ],
        ["integrated-gradients"] =
        [
            new("steps", "int", "50", "gradient evaluations along the path"),
            new("rule", "left|right|middle|trapezoid", "trapezoid", "quadrature rule"), Baseline,
        ],
        ["gradcam"] = [Layer],
        ["gradcam++"] = [Layer],
        ["rise"] =
        [
            new("masks", "int", "4000", "number of random masks N"),
            new("cells", "int", "8", "grid cells s per axis"),
            new("p1", "number", "0.5", "keep-probability of a cell"), Seed,
        ],
        ["occlusion"] =
        [
            new("window", "int", "4", "window size per spatial axis"),
            new("stride", "int", "2", "window stride"), Baseline,
        ],
        ["lime"] =
        [
            new("window", "int", "4", "segment size per spatial axis (patches, or 1-D windows)"),
            new("samples", "int", "1000", "random segment subsets"),
            new("kernel-width", "number", "0.25", "width of the exponential kernel on cosine distance"), Baseline, Seed,
        ],
        ["influence"] =
        [
            Layer,
            new("qoi", "class|c:C|c:C-C2", "class", "quantity of interest: the target logit, class C, or C minus C2"),
            new("doi", "point|path", "point", "distribution of interest: the instance, or the linear path from the baseline"),
            new("multiply-activation", "bool", "false", "multiply the influence by the activation (internal attribution)"),
            new("steps", "int", "50", "path steps (doi=path)"), Baseline,
        ],
    };

    public static IReadOnlyCollection<string> Names => Methods.Keys;

    public static bool IsKnown(string method) => Methods.ContainsKey(method);

    /// <summary>The parameters <paramref name="method"/> accepts, or an error listing the methods there are.</summary>
    public static IReadOnlyList<MethodParameter> Parameters(string method) =>
        Methods.TryGetValue(method, out var p) ? p
            : throw new ArgumentException($"unknown method '{method}'; known: {string.Join(", ", Methods.Keys)}");

    /// <summary>Checks parameter names (and that a layer is given where one is needed); errors list what is allowed.</summary>
    public static void CheckParameters(string method, IReadOnlyDictionary<string, string> parameters)
    {
        var allowed = Parameters(method);
        foreach (var name in parameters.Keys)
        {
            if (allowed.All(p => p.Name != name))
                throw new ArgumentException(allowed.Count == 0
                    ? $"method '{method}' takes no parameters, got '{name}'"
                    : $"method '{method}' has no parameter '{name}'; allowed: {string.Join(", ", allowed.Select(p => p.Name))}");
        }
        if (allowed.Contains(Layer) && !parameters.ContainsKey("layer"))
            throw new ArgumentException($"method '{method}' needs a layer (layer=NAME)");
    }
}
