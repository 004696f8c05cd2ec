using System.Text.Json.Nodes;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// The quantity of interest of an influence job: the class logit S_c of the explained class (<see cref="Target"/>:
/// each input's target, or the class whose instances form the distribution), a fixed class, a comparison
/// S_c - S_c2, or a linear combination of the logits.
/// </summary>
public abstract record QuantityOfInterestSpec
{
    public sealed record Target : QuantityOfInterestSpec;

    public sealed record Class(int Index) : QuantityOfInterestSpec;

    public sealed record Compare(int Index, int Other) : QuantityOfInterestSpec;

    public sealed record Logits(IReadOnlyList<double> Weights) : QuantityOfInterestSpec;

    /// <summary>The classes it names (to check them against the data).</summary>
    public IReadOnlyList<int> Classes => this switch
    {
        Class c => [c.Index],
        Compare c => [c.Index, c.Other],
        _ => [],
    };

    /// <summary>As a class-wide cell parameter; <see cref="Target"/> becomes the distribution's class <paramref name="ownClass"/>.</summary>
    public JsonObject ToJson(int ownClass) => this switch
    {
        Target => new JsonObject { ["class"] = ownClass },
        Class c => new JsonObject { ["class"] = c.Index },
        Compare c => new JsonObject { ["compare"] = new JsonArray(c.Index, c.Other) },
        Logits l => new JsonObject { ["logits"] = new JsonArray(l.Weights.Select(w => (JsonNode)w).ToArray()) },
        _ => throw new InvalidOperationException(GetType().Name),
    };

    /// <summary>As the influence method's qoi parameter (class, c:C, c:C-C2); null for logits, which the method cannot take.</summary>
    public string? MethodValue => this switch
    {
        Target => "class",
        Class c => $"c:{c.Index}",
        Compare c => $"c:{c.Index}-{c.Other}",
        _ => null,
    };
}
