using XaiGrid.Orchestration.Coordination;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests;

public class ReadyQueueTests
{
    private static CellRecord Cell(string key, CellState state = CellState.Pending, params string[] dependencies) =>
        new(key, "stage", "kind", "{}", dependencies, state, 0, null, null, DateTimeOffset.UnixEpoch, null, null, null);

    private static List<string> TakeAll(ReadyQueue queue)
    {
        var taken = new List<string>();
        while (queue.TryTake(out var key)) taken.Add(key);
        return taken;
    }

    [Fact]
    public void A_cell_is_ready_once_all_its_dependencies_are_done_and_ready_cells_come_in_planning_order()
    {
        // Planned: train, other, explain(train), evaluate(explain, other), compress(train), compress2(train).
        var queue = new ReadyQueue([Cell("train"), Cell("other"), Cell("explain", dependencies: "train"),
            Cell("evaluate", dependencies: ["explain", "other"]), Cell("compress", dependencies: "train"), Cell("compress2", dependencies: "train")], _ => false);

        Assert.Equal(["train", "other"], TakeAll(queue));
        queue.Done("train");
        Assert.Equal(3, queue.Count);
        Assert.True(queue.TryTake(out var first));
        Assert.Equal("explain", first);
        queue.Done("explain");
        queue.Done("other");
        // Ready after the compression cells, but planned before them: it goes first.
        Assert.Equal(["evaluate", "compress", "compress2"], TakeAll(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Cells_waiting_on_one_that_never_finishes_never_become_ready()
    {
        var queue = new ReadyQueue([Cell("train"), Cell("explain", dependencies: "train"), Cell("evaluate", dependencies: "explain")], _ => false);
        Assert.Equal(["train"], TakeAll(queue));
        queue.Done("unrelated");
        Assert.Empty(TakeAll(queue));
    }

    [Fact]
    public void Done_cells_and_done_cells_of_other_experiments_count_as_met_and_only_pending_cells_are_handed_out()
    {
        var asked = new List<string>();
        var queue = new ReadyQueue([Cell("train", CellState.Done), Cell("running", CellState.Running), Cell("failed", CellState.Failed),
            Cell("explain", dependencies: ["train", "shared"]), Cell("evaluate", dependencies: ["explain", "elsewhere"]),
            Cell("merge", dependencies: "running")], key => { asked.Add(key); return key == "shared"; });

        Assert.Equal(["shared", "elsewhere"], asked);
        Assert.Equal(["explain"], TakeAll(queue));
        queue.Done("explain");
        Assert.Empty(TakeAll(queue));
        queue.Done("elsewhere");
        queue.Done("running");
        Assert.Equal(["evaluate", "merge"], TakeAll(queue));
    }
}
