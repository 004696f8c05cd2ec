using System.Text.Json.Nodes;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Which items of a data entry's split a job reads: all of them, those of one class, or explicit dataset ids. Jobs
/// are split into cells by position [start, end) within the selected list (the split's items in dataset order, or
/// the ids in the order given); executors resolve the positions against the loaded data.
/// </summary>
public sealed record InputSelector(string Select, string Split, int? Class, IReadOnlyList<long>? Ids, SourceLocation Location)
{
    public const string All = "all", OfClass = "class", ById = "ids";
    public const string Train = "train", Test = "test";
    public static readonly string[] Splits = [Train, Test];

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["select"] = Select, ["split"] = Split };
        if (Class is { } c) json["class"] = c;
        if (Ids is not null) json["ids"] = new JsonArray(Ids.Select(id => (JsonNode)id).ToArray());
        return json;
    }

    public string Describe() => Select switch
    {
        OfClass => $"{Split} class {Class}",
        ById => $"{Ids!.Count} {Split} ids",
        _ => $"all {Split}",
    };
}
