using System.Text.Json;

namespace XaiGrid.Store.Tests;

public class StoreStatusTests
{
    [Fact]
    public void Status_json_has_exactly_the_documented_shape_and_counts()
    {
        using var temp = new TempFolder();
        using var store = ResultStore.Open(temp.File("results.db"));
        long experiment = store.UpsertExperiment("grid", "grid.yaml", "").Id;
        string[] train = [Keys.Of("t0"), Keys.Of("t1"), Keys.Of("t2")];
        string[] explain = [Keys.Of("e0"), Keys.Of("e1")];
        store.UpsertCells(experiment, [.. train.Select(k => new CellSpec(k, "train", "train", "{}")),
            .. explain.Select(k => new CellSpec(k, "explain", "rise", "{}", [train[0]]))]);
        var result = new CellResults { Scalars = new Dictionary<string, double> { ["accuracy"] = 0.9 } };
        // train: t0 done after one failure (2 executions), t1 running (1), t2 failed (1); explain: e0 running (1), e1 pending.
        store.MarkRunning(train[0], "w1");
        store.MarkFailed(train[0], "nan loss", "w1");
        store.MarkRunning(train[0], "w1");
        store.MarkDone(train[0], result, "w1");
        store.MarkDone(train[0], result, "w1");
        store.MarkRunning(train[1], "w2");
        store.MarkFailed(train[2], "bad input");
        store.MarkRunning(explain[0], "w2");

        using var json = JsonDocument.Parse(store.Status().ToJson());
        var root = json.RootElement;
        Assert.Equal(["cells", "computed", "stages"], root.EnumerateObject().Select(p => p.Name));
        var cells = root.GetProperty("cells");
        Assert.Equal(["pending", "running", "done", "failed"], cells.EnumerateObject().Select(p => p.Name));
        Assert.Equal([1, 2, 1, 1], cells.EnumerateObject().Select(p => p.Value.GetInt64()));
        Assert.Equal(5, root.GetProperty("computed").GetInt64());

        var stages = root.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(2, stages.Count);
        foreach (var stage in stages)
            Assert.Equal(["stage", "pending", "running", "done", "failed"], stage.EnumerateObject().Select(p => p.Name));
        Assert.Equal("train", stages[0].GetProperty("stage").GetString());
        Assert.Equal([0, 1, 1, 1], stages[0].EnumerateObject().Skip(1).Select(p => p.Value.GetInt64()));
        Assert.Equal("explain", stages[1].GetProperty("stage").GetString());
        Assert.Equal([1, 1, 0, 0], stages[1].EnumerateObject().Skip(1).Select(p => p.Value.GetInt64()));
    }

    [Fact]
    public void An_empty_store_reports_zeros_and_no_stages()
    {
        using var temp = new TempFolder();
        using var store = ResultStore.Open(temp.File("results.db"));
        Assert.Equal("""{"cells":{"pending":0,"running":0,"done":0,"failed":0},"computed":0,"stages":[]}""", store.Status().ToJson());
    }
}
