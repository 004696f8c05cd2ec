namespace XaiGrid.Store;

public enum CellState { Pending, Running, Done, Failed }

internal static class CellStates
{
    /// <summary>The state as stored: a word, so the file reads the same whatever the enum's numbering.</summary>
    public static string ToText(this CellState state) => state switch
    {
        CellState.Pending => "pending",
        CellState.Running => "running",
        CellState.Done => "done",
        CellState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static CellState Parse(string text, string what) => text switch
    {
        "pending" => CellState.Pending,
        "running" => CellState.Running,
        "done" => CellState.Done,
        "failed" => CellState.Failed,
        _ => throw new StoreException($"{what} has state '{text}', expected pending, running, done or failed"),
    };
}
