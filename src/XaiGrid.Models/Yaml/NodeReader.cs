using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Models.Yaml;

/// <summary>An error in a YAML file, located by file, line and column.</summary>
public sealed class YamlFileException(string source, long line, long column, string message)
    : FormatException($"{source}:{line}:{column}: {message}")
{
    public string FilePath { get; } = source;
    public long Line { get; } = line;
    public long Column { get; } = column;

    /// <summary>The message without the location prefix.</summary>
    public string Detail { get; } = message;
}

/// <summary>Reads typed values out of YAML nodes; every error names the source, line and column of the node.</summary>
public sealed class NodeReader(string source)
{
    public string Source { get; } = source;

    public YamlFileException Error(YamlNode node, string message) => new(Source, node.Start.Line, node.Start.Column, message);

    /// <summary>Rejects keys other than <paramref name="allowed"/>, listing the allowed ones.</summary>
    public void OnlyKeys(YamlMappingNode node, params string[] allowed)
    {
        if (UnknownKeys(node, allowed).FirstOrDefault() is { } error) throw error;
    }

    /// <summary>An error for every key other than <paramref name="allowed"/>, for readers that report all problems at once.</summary>
    public IEnumerable<YamlFileException> UnknownKeys(YamlMappingNode node, params string[] allowed) =>
        from key in node.Children.Keys
        let name = (key as YamlScalarNode)?.Value ?? ""
        where !allowed.Contains(name)
        select Error(key, $"unknown key '{name}'; allowed here: {string.Join(", ", allowed)}");

    public YamlNode Required(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : throw Error(node, $"missing key '{key}'");

    public YamlNode? Optional(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public string String(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(node, $"{what} must be a single value");

    public long Long(YamlNode node, string what) =>
        long.TryParse(String(node, what), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw Error(node, $"{what} must be a whole number, got '{String(node, what)}'");

    public double Double(YamlNode node, string what) =>
        double.TryParse(String(node, what), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw Error(node, $"{what} must be a number, got '{String(node, what)}'");

    public bool Bool(YamlNode node, string what) => String(node, what) switch
    {
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        var s => throw Error(node, $"{what} must be true or false, got '{s}'"),
    };

    public long[] LongList(YamlNode node, string what) =>
        node is YamlSequenceNode seq ? seq.Children.Select(c => Long(c, what)).ToArray()
            : throw Error(node, $"{what} must be a list of whole numbers");

    public string? OptionalString(YamlMappingNode node, string key) => Optional(node, key) is { } n ? String(n, key) : null;

    public long? OptionalLong(YamlMappingNode node, string key) => Optional(node, key) is { } n ? Long(n, key) : null;

    public double? OptionalDouble(YamlMappingNode node, string key) => Optional(node, key) is { } n ? Double(n, key) : null;

    public bool? OptionalBool(YamlMappingNode node, string key) => Optional(node, key) is { } n ? Bool(n, key) : null;
}
