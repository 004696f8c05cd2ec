using System.Text.Json.Nodes;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>A method of the MethodCatalog with the parameters written for it (names and values checked, kept as text).</summary>
public sealed record MethodSpec(string Method, IReadOnlyDictionary<string, string> Parameters, SourceLocation Location)
{
    /// <summary>All the method's parameters, typed, with the catalog's defaults for those not written.</summary>
    public JsonObject TypedParameters() => MethodValues.Complete(Method, Parameters);

    public string Describe() =>
        Parameters.Count == 0 ? Method
            : $"{Method} {string.Join(" ", Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}";
}
