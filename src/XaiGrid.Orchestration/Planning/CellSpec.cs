using System.Text.Json.Nodes;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// A planned cell. <see cref="Key"/> is the hex SHA-256 of the canonical JSON of {kind, parameters, dependencies},
/// so the same description always gives the same key, and a changed parameter changes the key of its cell and,
/// through the dependency keys, of every cell downstream, nothing else. <see cref="Parameters"/> is canonical JSON
/// text holding everything the executor needs except artifacts; <see cref="Label"/> is for people only and is not
/// part of the key.
/// </summary>
public sealed record CellSpec(string Key, string Stage, string Kind, string Parameters, IReadOnlyList<string> Dependencies, string Label)
{
    public static CellSpec Create(string stage, string kind, JsonObject parameters, IReadOnlyList<string> dependencies, string label)
    {
        var canonical = CanonicalJson.Serialize(parameters);
        var description = new JsonObject
        {
            ["kind"] = kind,
            ["parameters"] = parameters.DeepClone(),
            ["dependencies"] = new JsonArray(dependencies.Select(d => (JsonNode)d).ToArray()),
        };
        return new CellSpec(ContentHash.Of(CanonicalJson.Serialize(description)), stage, kind, canonical, dependencies.ToList(), label);
    }

    public JsonObject ParameterObject() => JsonNode.Parse(Parameters)!.AsObject();

    /// <summary>The cell as the result store takes it.</summary>
    public Store.CellSpec ToStore() => new(Key, Stage, Kind, Parameters, Dependencies);
}
