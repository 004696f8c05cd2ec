using System.Text.Json;

namespace XaiGrid.Store;

public sealed record CellCounts(long Pending, long Running, long Done, long Failed);

public sealed record StageCounts(string Stage, long Pending, long Running, long Done, long Failed);

/// <summary>
/// Progress as <c>xaigrid status</c> shows it: cells by state, <see cref="Computed"/> = executions (every attempt,
/// retries included), and the same counts per stage, stages in the order they were first planned.
/// </summary>
public sealed record StoreStatus(CellCounts Cells, long Computed, IReadOnlyList<StageCounts> Stages)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>{"cells": {"pending", "running", "done", "failed"}, "computed", "stages": [{"stage", "pending", "running", "done", "failed"}]}</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);
}

public sealed partial class ResultStore
{
    /// <summary>
    /// Progress of the whole store, or of one experiment's cells, from one read of the cells: a cell's attempts are its
    /// executions, so they add up to <see cref="StoreStatus.Computed"/>.
    /// </summary>
    public StoreStatus Status(long? experimentId = null) => Read(database =>
    {
        var cells = Cells(database).FindAll().Select(ReadCell).Where(c => experimentId is null || c.Experiments.Contains(experimentId.Value)).ToList();
        long Count(IEnumerable<StoredCell> subset, CellState state) => subset.LongCount(c => c.State == state);
        var stages = cells.GroupBy(c => c.Stage).OrderBy(g => g.Min(c => c.Seq))
            .Select(g => new StageCounts(g.Key, Count(g, CellState.Pending), Count(g, CellState.Running), Count(g, CellState.Done), Count(g, CellState.Failed)))
            .ToList();
        var counts = new CellCounts(Count(cells, CellState.Pending), Count(cells, CellState.Running), Count(cells, CellState.Done), Count(cells, CellState.Failed));
        return new StoreStatus(counts, cells.Sum(c => (long)c.Record.Attempts), stages);
    });
}
