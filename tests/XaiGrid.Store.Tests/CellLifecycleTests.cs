namespace XaiGrid.Store.Tests;

public class CellLifecycleTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _temp = new();
    private readonly ManualClock _clock = new(T0);
    private readonly ResultStore _store;
    private readonly long _experiment;

    public CellLifecycleTests()
    {
        _store = ResultStore.Open(_temp.File("results.db"), _clock);
        _experiment = _store.UpsertExperiment("grid", "grid.yaml", "name: grid").Id;
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private string Add(string name, string stage = "explain", params string[] dependencies)
    {
        string key = Keys.Of(name);
        Assert.Equal(CellState.Pending, _store.UpsertCell(_experiment, new CellSpec(key, stage, "smoothgrad", $$"""{"name":"{{name}}"}""", dependencies)));
        return key;
    }

    private static CellResults Scalars(params (string Name, double Value)[] values) =>
        new() { Scalars = values.ToDictionary(v => v.Name, v => v.Value) };

    [Fact]
    public void A_failed_then_retried_cell_counts_two_attempts_and_keeps_the_successful_timing()
    {
        string key = Add("cell");
        Assert.True(_store.MarkRunning(key, "w1"));
        _clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(CompletionStatus.Recorded, _store.MarkFailed(key, "out of memory", "w1"));

        var failed = _store.GetCell(key);
        Assert.Equal((CellState.Failed, 1, "out of memory", "w1"), (failed.State, failed.Attempts, failed.Error, failed.Worker));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), failed.Duration);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_store.MarkRunning(key, "w2"));
        Assert.Equal(CellState.Running, _store.GetCell(key).State);
        Assert.Null(_store.GetCell(key).Error);
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(CompletionStatus.Recorded, _store.MarkDone(key, Scalars(("deletion_auc", 0.625)), "w2"));

        var done = _store.GetCell(key);
        Assert.Equal((CellState.Done, 2, (string?)null, "w2"), (done.State, done.Attempts, done.Error, done.Worker));
        Assert.Equal(T0.AddMilliseconds(11500), done.Started);
        Assert.Equal(T0.AddMilliseconds(11750), done.Finished);
        Assert.Equal(TimeSpan.FromMilliseconds(250), done.Duration);
        Assert.Equal(0.625, _store.Results(key).Scalars["deletion_auc"]);

        var executions = _store.Executions(key);
        Assert.Equal([ExecutionOutcome.Error, ExecutionOutcome.Ok], executions.Select(e => e.Outcome!.Value));
        Assert.Equal(["w1", "w2"], executions.Select(e => e.Worker!));
        Assert.Equal("out of memory", executions[0].Error);
        Assert.Equal(2, _store.Status().Computed);
    }

    [Fact]
    public void A_completion_never_reported_as_started_is_recorded_as_one_execution()
    {
        string key = Add("cell");
        Assert.Equal(CompletionStatus.Recorded, _store.MarkDone(key, Scalars(("x", 1)), "w1"));
        var cell = _store.GetCell(key);
        Assert.Equal((1, TimeSpan.Zero), (cell.Attempts, cell.Duration!.Value));
        Assert.Equal(ExecutionOutcome.Ok, Assert.Single(_store.Executions(key)).Outcome);
    }

    [Fact]
    public void A_duplicate_completion_changes_nothing_and_is_reported()
    {
        string key = Add("cell");
        string hash = _store.PutArtifact([1, 2, 3], "application/x-npy");
        _store.MarkRunning(key, "w1");
        var first = new CellResults
        {
            Scalars = new Dictionary<string, double> { ["auc"] = 0.25 },
            Tables = new Dictionary<string, string> { ["curve"] = "[1.0,0.5]" },
            Artifacts = new Dictionary<string, string> { ["map"] = hash },
        };
        Assert.Equal(CompletionStatus.Recorded, _store.MarkDone(key, first, "w1"));
        var before = _store.GetCell(key);

        _clock.Advance(TimeSpan.FromSeconds(5));
        var second = new CellResults { Scalars = new Dictionary<string, double> { ["auc"] = 0.75, ["extra"] = 1 } };
        Assert.Equal(CompletionStatus.Duplicate, _store.MarkDone(key, second, "w2"));
        Assert.Equal(CompletionStatus.Duplicate, _store.MarkFailed(key, "late failure", "w3"));

        var results = _store.Results(key);
        Assert.Equal(new Dictionary<string, double> { ["auc"] = 0.25 }, results.Scalars);
        Assert.Equal("[1.0,0.5]", results.Tables["curve"]);
        Assert.Equal(hash, results.Artifacts["map"]);
        Assert.Equal(before, _store.GetCell(key));
        // The redelivered reports were never started, so they are not executions.
        Assert.Single(_store.Executions(key));
        Assert.False(_store.MarkRunning(key, "w4"));
        Assert.Single(_store.Executions(key));
    }

    [Fact]
    public void A_second_worker_that_ran_a_done_cell_counts_as_an_execution_but_its_results_are_dropped()
    {
        string key = Add("cell");
        _store.MarkRunning(key, "w1");
        _store.MarkRunning(key, "w2");
        Assert.Equal(CompletionStatus.Recorded, _store.MarkDone(key, Scalars(("v", 1)), "w2"));
        Assert.Equal(CompletionStatus.Duplicate, _store.MarkDone(key, Scalars(("v", 2)), "w1"));

        Assert.Equal(1, _store.Results(key).Scalars["v"]);
        Assert.Equal("w2", _store.GetCell(key).Worker);
        Assert.All(_store.Executions(key), e => Assert.Equal(ExecutionOutcome.Ok, e.Outcome));
        Assert.Equal(2, _store.Status().Computed);
    }

    [Fact]
    public void Re_planning_keeps_done_cells_done_and_adds_only_new_keys()
    {
        string a = Add("a");
        _store.MarkDone(a, Scalars(("v", 3)));
        string b = Add("b");
        var again = _store.UpsertCells(_experiment, [
            new CellSpec(a, "explain", "smoothgrad", """{"name":"a"}"""),
            new CellSpec(b, "explain", "smoothgrad", """{"name":"b"}"""),
            new CellSpec(Keys.Of("c"), "explain", "smoothgrad", """{"name":"c"}"""),
        ]);
        Assert.Equal([CellState.Done, CellState.Pending, CellState.Pending], again);
        Assert.Equal(3, _store.Results(a).Scalars["v"]);
        Assert.Equal([a, b, Keys.Of("c")], _store.Cells().Select(c => c.Key));
        Assert.Equal([a], _store.Cells(CellState.Done).Select(c => c.Key));
    }

    [Fact]
    public void A_key_planned_with_another_description_is_refused_and_the_batch_is_not_stored()
    {
        string a = Add("a");
        var error = Assert.Throws<StoreException>(() => _store.UpsertCells(_experiment, [
            new CellSpec(Keys.Of("new"), "explain", "rise", "{}"),
            new CellSpec(a, "explain", "smoothgrad", """{"name":"changed"}"""),
        ]));
        Assert.Contains(a, error.Message);
        Assert.Contains("parameters", error.Message);
        Assert.Null(_store.FindCell(Keys.Of("new")));
    }

    [Fact]
    public void Bad_cell_descriptions_name_the_key_and_the_field()
    {
        string key = Keys.Of("x");
        Assert.Contains("parameters", Assert.Throws<StoreException>(() => _store.UpsertCell(_experiment, new CellSpec(key, "train", "train", "{oops"))).Message);
        Assert.Contains("cell key", Assert.Throws<StoreException>(() => _store.UpsertCell(_experiment, new CellSpec("../etc/passwd", "train", "train", "{}"))).Message);
        Assert.Contains("stage", Assert.Throws<StoreException>(() => _store.UpsertCell(_experiment, new CellSpec(key, " ", "train", "{}"))).Message);
        var missing = Assert.Throws<StoreException>(() => _store.UpsertCell(_experiment, new CellSpec(key, "explain", "rise", "{}", [Keys.Of("absent")])));
        Assert.Contains(Keys.Of("absent"), missing.Message);
        Assert.Contains("no experiment", Assert.Throws<StoreException>(() => _store.UpsertCell(_experiment + 1, new CellSpec(key, "train", "train", "{}"))).Message);
        Assert.Contains("no cell", Assert.Throws<StoreException>(() => _store.MarkRunning(key)).Message);
        Assert.Empty(_store.Cells());
    }

    [Fact]
    public void Results_referring_to_a_missing_artifact_are_refused_and_the_cell_stays_running()
    {
        string key = Add("cell");
        _store.MarkRunning(key, "w1");
        var results = new CellResults
        {
            Scalars = new Dictionary<string, double> { ["v"] = 1 },
            Artifacts = new Dictionary<string, string> { ["map"] = Keys.Of("never stored") },
        };
        Assert.Contains("'map'", Assert.Throws<StoreException>(() => _store.MarkDone(key, results)).Message);
        Assert.Equal(CellState.Running, _store.GetCell(key).State);
        Assert.Empty(_store.Results(key).Scalars);
        Assert.Null(Assert.Single(_store.Executions(key)).Outcome);
    }

    [Fact]
    public void Non_finite_scalars_and_tables_round_trip()
    {
        string key = Add("cell");
        _store.MarkDone(key, new CellResults
        {
            Scalars = new Dictionary<string, double> { ["nan"] = double.NaN, ["inf"] = double.PositiveInfinity, ["tiny"] = 4.9e-324 },
            Tables = new Dictionary<string, string> { ["confusion"] = """{"labels":["a","b"],"counts":[[3,1],[0,4]]}""" },
        });
        var results = _store.Results(key);
        Assert.True(double.IsNaN(results.Scalars["nan"]));
        Assert.Equal(double.PositiveInfinity, results.Scalars["inf"]);
        Assert.Equal(4.9e-324, results.Scalars["tiny"]);
        Assert.Equal("""{"labels":["a","b"],"counts":[[3,1],[0,4]]}""", results.Tables["confusion"]);
    }

    [Fact]
    public void ResetRunning_returns_running_cells_to_pending_and_closes_their_executions_as_interrupted()
    {
        string running = Add("running");
        string done = Add("done");
        string pending = Add("pending");
        _store.MarkRunning(running, "w1");
        _store.MarkRunning(done, "w1");
        _store.MarkDone(done, Scalars(("v", 1)), "w1");

        Assert.Equal(1, _store.ResetRunning());
        Assert.Equal(CellState.Pending, _store.GetCell(running).State);
        Assert.Equal(CellState.Done, _store.GetCell(done).State);
        Assert.Equal(CellState.Pending, _store.GetCell(pending).State);
        Assert.Equal(ExecutionOutcome.Interrupted, Assert.Single(_store.Executions(running)).Outcome);
        Assert.Equal(0, _store.ResetRunning());

        Assert.True(_store.MarkRunning(running, "w2"));
        Assert.Equal(2, _store.GetCell(running).Attempts);
    }

    [Fact]
    public void A_worker_restarting_a_cell_closes_its_own_earlier_attempt_as_interrupted()
    {
        string key = Add("cell");
        _store.MarkRunning(key, "w1");
        _store.MarkRunning(key, "w2");
        _store.MarkRunning(key, "w1");
        Assert.Equal([ExecutionOutcome.Interrupted, (ExecutionOutcome?)null, null], _store.Executions(key).Select(e => e.Outcome));
    }

    [Fact]
    public void A_cell_is_timed_from_when_a_worker_began_it_not_from_when_it_was_sent()
    {
        string key = Add("cell");
        Assert.False(_store.MarkStartedBy(key, "w1"));
        Assert.True(_store.MarkRunning(key));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(_store.MarkStartedBy(key, "w1"));
        _clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(CompletionStatus.Recorded, _store.MarkDone(key, Scalars(("v", 1)), "w1"));

        var cell = _store.GetCell(key);
        Assert.Equal(("w1", T0.AddSeconds(2), TimeSpan.FromMilliseconds(1500)), (cell.Worker, cell.Started!.Value, cell.Duration!.Value));
        var execution = Assert.Single(_store.Executions(key));
        Assert.Equal(("w1", T0.AddSeconds(2), T0.AddSeconds(3.5)), (execution.Worker, execution.Started, execution.Finished!.Value));
        Assert.False(_store.MarkStartedBy(key, "w2"));
        Assert.Equal("w1", _store.GetCell(key).Worker);
    }

    [Fact]
    public void Queries_filter_by_experiment_and_a_shared_cell_belongs_to_both()
    {
        string shared = Add("shared", "train");
        string own = Add("own", "explain");
        long second = _store.UpsertExperiment("second", "second.yaml", "name: second").Id;
        string theirs = Keys.Of("theirs");
        _store.UpsertCells(second, [new CellSpec(shared, "train", "smoothgrad", """{"name":"shared"}"""), new CellSpec(theirs, "evaluate", "x", "{}")]);

        Assert.Equal([shared, own], _store.Cells(experimentId: _experiment).Select(c => c.Key));
        Assert.Equal([shared, theirs], _store.Cells(experimentId: second).Select(c => c.Key));
        Assert.Equal([own], _store.Cells(CellState.Pending, "explain").Select(c => c.Key));
        Assert.Equal(new CellCounts(2, 0, 0, 0), _store.Status(second).Cells);
        Assert.Equal(new CellCounts(3, 0, 0, 0), _store.Status().Cells);
    }

    [Fact]
    public void Experiment_upsert_keeps_id_and_creation_and_stores_the_new_definition()
    {
        var first = _store.FindExperiment("grid")!;
        _clock.Advance(TimeSpan.FromMinutes(1));
        var second = _store.UpsertExperiment("grid", "moved/grid.yaml", "name: grid\nseeds: 3\n");
        Assert.Equal((first.Id, first.Created), (second.Id, second.Created));
        Assert.Equal(T0.AddMinutes(1), second.Updated);
        Assert.Equal("moved/grid.yaml", second.FilePath);
        Assert.Equal(Keys.Of("name: grid\nseeds: 3\n"), second.DefinitionHash);
    }
}
