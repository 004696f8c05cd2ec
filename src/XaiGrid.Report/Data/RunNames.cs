using System.Text.Json.Nodes;

namespace XaiGrid.Report.Data;

/// <summary>
/// Names for the training runs of an experiment, built from their cell parameters (the store keeps no model names:
/// names are not part of cell keys). A run is its architecture, its data, the training options that differ between
/// the experiment's runs, and its seed, e.g. "mnist1d-cnn mnist1d lr=0.003 steps=2000 seed=1".
/// </summary>
internal sealed class RunNames
{
    private readonly Dictionary<string, CellView> runs;
    private readonly Dictionary<string, int> ranks;

    /// <summary>Training options (other than the seed) whose values differ between runs, in name order.</summary>
    public IReadOnlyList<string> Varying { get; }

    public RunNames(IReadOnlyList<CellView> trainCells)
    {
        runs = trainCells.ToDictionary(c => c.Key);
        Varying = trainCells.SelectMany(c => Training(c).Select(kv => kv.Key)).Distinct()
            .Where(k => k != "seed" && trainCells.Select(c => Training(c)[k]?.ToJsonString() ?? "null").Distinct().Count() > 1)
            .Order(StringComparer.Ordinal).ToList();
        ranks = trainCells.Order(Order).Select((c, i) => (c.Key, i)).ToDictionary(x => x.Key, x => x.i);
    }

    /// <summary>A run's place in <see cref="Order"/>: rows about models sort by it (unknown keys last).</summary>
    public int Rank(string? trainKey) => trainKey is not null && ranks.TryGetValue(trainKey, out int i) ? i : int.MaxValue;

    public static JsonObject Training(CellView train) => train.Node("training").AsObject();

    public static string Arch(CellView cell) => cell.Text("arch");

    /// <summary>The data spec, with its image size when one is set.</summary>
    public static string Data(CellView cell)
    {
        var data = cell.Node("data").AsObject();
        var spec = Format.Value(data["spec"]);
        return data["image_size"] is JsonValue size ? $"{spec} {Format.Value(size)}px" : spec;
    }

    /// <summary>The hyperparameter point of a run: its varying options as "name=value", without the seed.</summary>
    public string Point(CellView train) =>
        string.Join(" ", Varying.Select(k => $"{k}={Format.Value(Training(train)[k])}"));

    /// <summary>A run's name, or "run 1a2b3c4d5e6f" for a key that is no train cell of this experiment.</summary>
    public string Name(string? trainKey)
    {
        if (trainKey is null || !runs.TryGetValue(trainKey, out var train)) return $"run {trainKey?[..12]}";
        var parts = new List<string> { Arch(train), Data(train) };
        if (Point(train) is { Length: > 0 } point) parts.Add(point);
        parts.Add($"seed={Format.Value(Training(train)["seed"])}");
        return string.Join(" ", parts);
    }

    /// <summary>Sort key of runs: architecture, data, each varying option by value, seed, then key.</summary>
    public IComparer<CellView> Order => Comparer<CellView>.Create((a, b) =>
    {
        int c = string.CompareOrdinal(Arch(a), Arch(b));
        if (c == 0) c = string.CompareOrdinal(Data(a), Data(b));
        foreach (var k in Varying.Append("seed"))
        {
            if (c != 0) break;
            c = JsonValueComparer.Instance.Compare(Training(a)[k], Training(b)[k]);
        }
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    });

    /// <summary>An explanation method with its parameters, e.g. "integrated-gradients steps=50".</summary>
    public static string Method(CellView cell)
    {
        var parameters = cell.Parameters["params"] as JsonObject;
        var text = parameters is null ? [] : parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Format.Value(kv.Value)}");
        return string.Join(" ", new[] { cell.Text("method") }.Concat(text));
    }

    /// <summary>An input selector, e.g. "test all", "test class 3", "test ids 4,8".</summary>
    public static string Inputs(CellView cell)
    {
        var inputs = cell.Node("inputs").AsObject();
        var parts = new List<string> { Format.Value(inputs["split"]), Format.Value(inputs["select"]) };
        if (inputs["class"] is { } c) parts.Add(Format.Value(c));
        if (inputs["ids"] is JsonArray ids) parts.Add(string.Join(",", ids.Select(Format.Value)));
        return string.Join(" ", parts);
    }
}
