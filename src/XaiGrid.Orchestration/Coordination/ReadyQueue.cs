using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>
/// The pending cells of one experiment, read from the store once and kept in memory: each counts its dependencies not
/// yet done, and a cell that finishes releases its dependents. Ready cells come out in planning order (training before
/// the maps that need it, maps before their merges and metrics), so a cell that became ready late still goes ahead of
/// a long tail of later-stage cells. Asking the store instead scans every pending cell each time one finishes.
/// </summary>
public sealed class ReadyQueue
{
    private readonly Dictionary<string, int> planningIndex = new();
    private readonly Dictionary<string, int> unmet = new();
    private readonly Dictionary<string, List<string>> dependents = new();
    private readonly PriorityQueue<string, int> ready = new();

    /// <param name="cells">The experiment's cells in planning order.</param>
    /// <param name="isDone">Whether a dependency from outside the experiment is done (cells are shared by content key).</param>
    public ReadyQueue(IReadOnlyList<CellRecord> cells, Func<string, bool> isDone)
    {
        var states = cells.ToDictionary(c => c.Key, c => c.State);
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            if (cell.State != CellState.Pending) continue;
            planningIndex[cell.Key] = i;
            int waiting = 0;
            foreach (var dependency in cell.Dependencies)
            {
                if (states.TryGetValue(dependency, out var state) ? state == CellState.Done : isDone(dependency)) continue;
                waiting++;
                if (!dependents.TryGetValue(dependency, out var list)) dependents[dependency] = list = [];
                list.Add(cell.Key);
            }
            if (waiting == 0) ready.Enqueue(cell.Key, i);
            else unmet[cell.Key] = waiting;
        }
    }

    /// <summary>Cells ready and not yet taken.</summary>
    public int Count => ready.Count;

    /// <summary>The ready cell planned first, if any; each ready cell is handed out once.</summary>
    public bool TryTake(out string key) => ready.TryDequeue(out key!, out _);

    /// <summary>A cell is done: those that waited only on it become ready.</summary>
    public void Done(string key)
    {
        if (!dependents.Remove(key, out var waiting)) return;
        foreach (var dependent in waiting)
        {
            if (--unmet[dependent] > 0) continue;
            unmet.Remove(dependent);
            ready.Enqueue(dependent, planningIndex[dependent]);
        }
    }
}
