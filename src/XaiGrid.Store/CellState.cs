namespace XaiGrid.Store;

public enum CellState { Pending, Running, Done, Failed }

internal static class CellStates
{
    public static string ToSql(this CellState state) => state switch
    {
        CellState.Pending => "pending",
        CellState.Running => "running",
        CellState.Done => "done",
        CellState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static CellState Parse(string text) => text switch
    {
        "pending" => CellState.Pending,
        "running" => CellState.Running,
        "done" => CellState.Done,
        "failed" => CellState.Failed,
        _ => throw new StoreException($"cells.state holds '{text}', expected pending, running, done or failed"),
    };
}
