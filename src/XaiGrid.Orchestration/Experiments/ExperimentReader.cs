using XaiGrid.Models.Yaml;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// <see cref="NodeReader"/> for a whole file at once: every failed read becomes a problem and reading goes on, so
/// a file's problems are reported together. Readers return null for a value that has a problem.
/// </summary>
internal sealed class ExperimentReader(string source, string relativeTo)
{
    private readonly List<ExperimentProblem> problems = [];

    public NodeReader Nodes { get; } = new(source);

    /// <summary>The folder relative paths resolve against.</summary>
    public string RelativeTo => relativeTo;

    public IReadOnlyList<ExperimentProblem> Problems => problems;

    public int ProblemCount => problems.Count;

    public SourceLocation At(YamlNode node) => new(source, node.Start.Line, node.Start.Column);

    public void Problem(YamlNode node, string message) => problems.Add(new ExperimentProblem(At(node), message));

    public void Problem(SourceLocation location, string message) => problems.Add(new ExperimentProblem(location, message));

    private void Problem(YamlFileException e) => problems.Add(new ExperimentProblem(new SourceLocation(e.FilePath, e.Line, e.Column), e.Detail));

    private bool Try<T>(Func<T> read, out T value)
    {
        try
        {
            value = read();
            return true;
        }
        catch (YamlFileException e)
        {
            Problem(e);
            value = default!;
            return false;
        }
    }

    public YamlMappingNode? Mapping(YamlNode node, string what, string form = "key: value lines")
    {
        if (node is YamlMappingNode mapping) return mapping;
        Problem(node, $"{what} must be a mapping ({form})");
        return null;
    }

    public YamlSequenceNode? Sequence(YamlNode node, string what)
    {
        if (node is YamlSequenceNode sequence) return sequence;
        Problem(node, $"{what} must be a list (lines starting with '- ')");
        return null;
    }

    /// <summary>A scalar or a list of them, as a list of nodes (an empty list is a problem).</summary>
    public IReadOnlyList<YamlNode>? OneOrMany(YamlNode node, string what)
    {
        if (node is not YamlSequenceNode sequence) return [node];
        if (sequence.Children.Count > 0) return sequence.Children.ToList();
        Problem(node, $"{what} is an empty list");
        return null;
    }

    public void OnlyKeys(YamlMappingNode node, params string[] allowed)
    {
        foreach (var e in Nodes.UnknownKeys(node, allowed)) Problem(e);
    }

    public YamlNode? Optional(YamlMappingNode node, string key) => Nodes.Optional(node, key);

    public YamlNode? Required(YamlMappingNode node, string key, string what)
    {
        var value = Nodes.Optional(node, key);
        if (value is null) Problem(node, $"{what} needs '{key}'");
        return value;
    }

    /// <summary>The mapping's keys with their nodes, in file order (a non-scalar key is a problem).</summary>
    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode node)
    {
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { Length: > 0 } name }) yield return (name, key, value);
            else Problem(key, "a key must be a plain name");
        }
    }

    public string? Text(YamlNode node, string what)
    {
        if (!Try(() => Nodes.String(node, what), out var text)) return null;
        if (text.Length > 0) return text;
        Problem(node, $"{what} must not be empty");
        return null;
    }

    public string? Choice(YamlNode node, string what, IReadOnlyCollection<string> allowed)
    {
        var text = Text(node, what);
        if (text is null || allowed.Contains(text)) return text;
        Problem(node, $"unknown {what} '{text}'; allowed: {string.Join(", ", allowed)}");
        return null;
    }

    public long? Whole(YamlNode node, string what, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!Try(() => Nodes.Long(node, what), out var value)) return null;
        if (value >= min && value <= max) return value;
        Problem(node, value < min ? $"{what} must be at least {min}, got {value}" : $"{what} must be at most {max}, got {value}");
        return null;
    }

    public int? Int(YamlNode node, string what, int min = int.MinValue) => (int?)Whole(node, what, min, int.MaxValue);

    public double? Number(YamlNode node, string what)
    {
        if (!Try(() => Nodes.Double(node, what), out var value)) return null;
        if (double.IsFinite(value)) return value;
        Problem(node, $"{what} must be a finite number, got {value}");
        return null;
    }

    public bool? Flag(YamlNode node, string what) => Try(() => Nodes.Bool(node, what), out var value) ? value : null;

    /// <summary>Whole numbers from a scalar or a list; a value listed twice is a problem.</summary>
    public List<long>? Wholes(YamlNode node, string what, long min, long max = long.MaxValue)
    {
        if (OneOrMany(node, what) is not { } items) return null;
        int before = ProblemCount;
        var values = new List<long>();
        foreach (var item in items)
        {
            if (Whole(item, what, min, max) is not { } value) continue;
            if (values.Contains(value)) Problem(item, $"{what} {value} is listed twice");
            values.Add(value);
        }
        return ProblemCount > before ? null : values;
    }
}
