using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using XaiGrid.Explain;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Typed values of method parameters, by the types <see cref="MethodCatalog"/> gives them: int (at least 1, a seed at
/// least 0), number, bool, a choice "a|b|c" (capitalized words in a choice stand for whole numbers, as in c:C-C2),
/// and free text (a layer name).
/// </summary>
public static class MethodValues
{
    private const string SeedName = "seed";

    /// <summary>The value of <paramref name="parameter"/> written as <paramref name="text"/>; bad values throw a FormatException saying what is allowed.</summary>
    public static JsonNode Parse(string method, MethodParameter parameter, string text)
    {
        string what = $"{method} {parameter.Name}";
        switch (parameter.Type)
        {
            case "int":
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
                    throw new FormatException($"{what} must be a whole number, got '{text}'");
                long min = parameter.Name == SeedName ? 0 : 1;
                return whole >= min ? whole : throw new FormatException($"{what} must be at least {min}, got {whole}");
            case "number":
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                    ? number : throw new FormatException($"{what} must be a finite number, got '{text}'");
            case "bool":
                return text.ToLowerInvariant() switch
                {
                    "true" or "yes" => true,
                    "false" or "no" => false,
                    _ => throw new FormatException($"{what} must be true or false, got '{text}'"),
                };
        }
        if (parameter.Type.Contains('|'))
        {
            var choices = parameter.Type.Split('|');
            if (choices.Any(choice => Pattern(choice).IsMatch(text))) return text;
            string placeholders = choices.Any(c => c.Any(char.IsUpper)) ? " (capitals stand for whole numbers)" : "";
            throw new FormatException($"{what} must be one of {string.Join(", ", choices)}{placeholders}; got '{text}'");
        }
        return text.Length > 0 ? text : throw new FormatException($"{what} must not be empty ({parameter.Type})");
    }

    /// <summary>
    /// Every parameter of <paramref name="method"/>, typed: the given ones and the catalog's defaults for the rest,
    /// so that writing a default out and leaving it out describe the same computation.
    /// </summary>
    public static JsonObject Complete(string method, IReadOnlyDictionary<string, string> given)
    {
        var json = new JsonObject();
        foreach (var parameter in MethodCatalog.Parameters(method))
        {
            if (given.TryGetValue(parameter.Name, out var text)) json[parameter.Name] = Parse(method, parameter, text);
            else if (parameter.Default.Length > 0) json[parameter.Name] = Parse(method, parameter, parameter.Default);
        }
        return json;
    }

    private static Regex Pattern(string choice) =>
        new("^" + Regex.Replace(Regex.Escape(choice), "[A-Z][A-Z0-9]*", @"\d+") + "$", RegexOptions.CultureInvariant);
}
