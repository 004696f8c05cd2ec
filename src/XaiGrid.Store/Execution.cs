namespace XaiGrid.Store;

/// <summary>How one attempt at a cell ended: interrupted attempts are those a dead coordinator or worker left open.</summary>
public enum ExecutionOutcome { Ok, Error, Interrupted }

/// <summary>One attempt at computing a cell; open (no outcome) while it runs.</summary>
public sealed record Execution(long Id, string CellKey, string? Worker, DateTimeOffset Started, DateTimeOffset? Finished,
    ExecutionOutcome? Outcome, string? Error);

internal static class ExecutionOutcomes
{
    public static string ToText(this ExecutionOutcome outcome) => outcome switch
    {
        ExecutionOutcome.Ok => "ok",
        ExecutionOutcome.Error => "error",
        ExecutionOutcome.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    public static ExecutionOutcome Parse(string text, string what) => text switch
    {
        "ok" => ExecutionOutcome.Ok,
        "error" => ExecutionOutcome.Error,
        "interrupted" => ExecutionOutcome.Interrupted,
        _ => throw new StoreException($"{what} has outcome '{text}', expected ok, error or interrupted"),
    };
}
