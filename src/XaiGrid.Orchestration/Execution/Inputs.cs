using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Orchestration.Experiments;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>Resolves an input selector of cell parameters against the loaded data: the positions of the selected items.</summary>
internal static class Inputs
{
    public static LabeledDataset Split(DatasetSplit data, string split) => split switch
    {
        InputSelector.Train => data.Train,
        InputSelector.Test => data.Test,
        _ => throw new FormatException($"unknown split '{split}'; allowed: {string.Join(", ", InputSelector.Splits)}"),
    };

    /// <summary>Positions in the split of the items the selector picks, in the selector's order.</summary>
    public static (LabeledDataset set, long[] positions) Select(DatasetSplit data, JsonObject selector)
    {
        var set = Split(data, selector["split"]!.GetValue<string>());
        var select = selector["select"]!.GetValue<string>();
        long[] positions = select switch
        {
            InputSelector.All => Enumerable.Range(0, (int)set.Count).Select(i => (long)i).ToArray(),
            InputSelector.OfClass => PositionsOfClass(set, selector["class"]!.GetValue<int>()),
            InputSelector.ById => ById(set, selector["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray()),
            _ => throw new FormatException($"unknown input selection '{select}'"),
        };
        return (set, positions);
    }

    public static long[] PositionsOfClass(LabeledDataset set, int c)
    {
        var labels = set.LabelArray();
        return Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Select(i => (long)i).ToArray();
    }

    private static long[] ById(LabeledDataset set, long[] ids)
    {
        var position = new Dictionary<long, long>();
        for (long i = 0; i < set.Ids.Length; i++) position[set.Ids[i]] = i;
        return ids.Select(id => position.TryGetValue(id, out var p) ? p
            : throw new InvalidDataException($"no item with id {id} in the split ({set.Count} items)")).ToArray();
    }

    /// <summary>The items at <paramref name="positions"/> [start, end): inputs, labels and ids.</summary>
    public static (Tensor inputs, long[] labels, long[] ids) Take(LabeledDataset set, long[] positions, long start, long end)
    {
        if (start < 0 || end > positions.Length || start > end)
            throw new FormatException($"range [{start}, {end}) is outside the {positions.Length} selected items");
        var chosen = positions[(int)start..(int)end];
        using var index = torch.tensor(chosen, device: set.Inputs.device);
        var labels = set.LabelArray();
        return (set.Inputs.index_select(0, index), chosen.Select(i => labels[i]).ToArray(), chosen.Select(i => set.Ids[i]).ToArray());
    }

    public static long[] Range(JsonNode? node) =>
        node?.AsArray().Select(n => n!.GetValue<long>()).ToArray() is { Length: 2 } r ? r
            : throw new FormatException("a range is [start, end)");
}
