using TorchSharp;
using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Execution;

/// <summary>
/// Runs a cell by its kind. A worker runs only the kinds listed here: anything else is refused (DESIGN.md §6,
/// untrusted input never becomes code).
/// </summary>
public sealed class CellExecutor(WorkerContext context)
{
    private static readonly Dictionary<string, Func<WorkItem, JsonObject, WorkerContext, CancellationToken, CellOutput>> Kinds = new()
    {
        [CellKinds.Train] = TrainExecutor.Run,
        [CellKinds.ExplainPartial] = ExplainExecutor.RunPartial,
        [CellKinds.MergeMaps] = ExplainExecutor.Merge,
        ["drop-increase"] = MetricExecutor.Run,
        ["insertion"] = MetricExecutor.Run,
        ["deletion"] = MetricExecutor.Run,
        ["sanity-check"] = MetricExecutor.RunSanityCheck,
        [CellKinds.InfluencePartial] = InfluenceExecutor.RunPartial,
        [CellKinds.MergeInfluence] = InfluenceExecutor.Merge,
        [CellKinds.CompressionPoint] = CompressionExecutor.Run,
    };

    public static IReadOnlyCollection<string> KnownKinds => Kinds.Keys;

    public CellOutput Execute(WorkItem item, CancellationToken cancel = default)
    {
        if (!Kinds.TryGetValue(item.Kind, out var run))
            throw new InvalidOperationException($"unknown cell kind '{item.Kind}'; this worker runs: {string.Join(", ", Kinds.Keys)}");
        var parameters = JsonNode.Parse(item.Parameters)?.AsObject()
            ?? throw new FormatException($"cell {item.Key}: parameters are not a JSON object");
        using var scope = torch.NewDisposeScope();
        return run(item, parameters, context, cancel);
    }
}
