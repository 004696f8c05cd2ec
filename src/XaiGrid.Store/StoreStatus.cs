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
    /// <summary>Progress of the whole store, or of one experiment's cells, read on one snapshot.</summary>
    public StoreStatus Status(long? experimentId = null) => Read(() =>
    {
        var rows = Query($"""
            SELECT c.stage, c.state, count(*), min(c.rowid) FROM cells c WHERE {InExperiment} GROUP BY c.stage, c.state
            """, r => (Stage: r.GetString(0), State: CellStates.Parse(r.GetString(1)), Count: r.GetInt64(2), First: r.GetInt64(3)),
            ("$experiment", experimentId));
        long computed = (long)Scalar($"""
            SELECT count(*) FROM executions x JOIN cells c ON c.key = x.cell_key WHERE {InExperiment}
            """, ("$experiment", experimentId))!;
        long Count(IEnumerable<(string Stage, CellState State, long Count, long First)> subset, CellState state) =>
            subset.Where(r => r.State == state).Sum(r => r.Count);
        var stages = rows.GroupBy(r => r.Stage).OrderBy(g => g.Min(r => r.First))
            .Select(g => new StageCounts(g.Key, Count(g, CellState.Pending), Count(g, CellState.Running), Count(g, CellState.Done), Count(g, CellState.Failed)))
            .ToList();
        var cells = new CellCounts(Count(rows, CellState.Pending), Count(rows, CellState.Running), Count(rows, CellState.Done), Count(rows, CellState.Failed));
        return new StoreStatus(cells, computed, stages);
    });
}
