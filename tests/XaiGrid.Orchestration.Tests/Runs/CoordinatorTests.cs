using Akka.Actor;
using Akka.TestKit;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Runs;

/// <summary>
/// The coordinator actor with test probes as its workers (Akka.TestKit): a cell goes only to a worker that asked for
/// one, in planning order; a worker that terminates gives its cell back; a failing cell is retried up to the attempts
/// allowed, then failed with its dependents, while the rest completes.
/// </summary>
[Collection(RunsCollection.Name)]
public sealed class CoordinatorTests() : Akka.TestKit.Xunit2.TestKit(ActorSystems.Reference), IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly TempFolder folder = new();
    private ResultStore? writer, reader;

    void IDisposable.Dispose()
    {
        Shutdown();
        writer?.Dispose();
        reader?.Dispose();
        folder.Dispose();
    }

    /// <summary>The tiny experiment planned and recorded; a coordinator over it.</summary>
    private (ExperimentPlan Plan, IActorRef Coordinator, TaskCompletionSource<bool> Finished, string Db) Start(CoordinatorOptions? options = null)
    {
        var experiment = TinyExperiment.Write(folder.Path);
        var plan = ExperimentRunner.Plan(experiment);
        var db = folder.File("coordinator.db");
        writer = ResultStore.Open(db);
        reader = ResultStore.OpenReadOnly(db);
        var sink = Sys.ActorOf(ResultSink.Props(writer));
        var planned = sink.Ask<ResultSink.Planned>(new ResultSink.Plan(plan.Experiment, experiment, File.ReadAllText(experiment),
            plan.Cells.Select(c => c.ToStore()).ToList()), Limit).Result;
        var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var coordinator = Sys.ActorOf(Coordinator.Props(planned.ExperimentId, plan.Experiment, reader, sink, options ?? new CoordinatorOptions(), finished));
        return (plan, coordinator, finished, db);
    }

    private static CellCompleted Done(RunCell run, string worker) =>
        new(run.Item.Key, worker, new Dictionary<string, double>(), new Dictionary<string, string>(), [], null);

    [Fact]
    public void Cells_go_only_to_workers_that_ask_and_in_planning_order()
    {
        var (plan, coordinator, finished, db) = Start();
        var workers = new[] { (Name: "w1", Probe: CreateTestProbe()), (Name: "w2", Probe: CreateTestProbe()) };
        var sent = new List<string>();
        var byWorker = new Dictionary<string, string>();

        // One asks: it gets training, the only cell ready. The other asks and waits: nothing else is ready.
        coordinator.Tell(new RequestCell("w1"), workers[0].Probe.Ref);
        var train = workers[0].Probe.ExpectMsg<RunCell>(Limit);
        Assert.Equal(plan.Cells.Single(c => c.Kind == CellKinds.Train).Key, train.Item.Key);
        Assert.Equal(1, train.Attempt);
        coordinator.Tell(new RequestCell("w2"), workers[1].Probe.Ref);
        workers[1].Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        sent.Add(train.Item.Key);
        byWorker[train.Item.Key] = "w1";
        coordinator.Tell(Done(train, "w1"), workers[0].Probe.Ref);
        coordinator.Tell(new RequestCell("w1"), workers[0].Probe.Ref);

        // From here each worker finishes what it gets and asks again: never more than one cell each.
        while (sent.Count < plan.Cells.Count)
        {
            bool any = false;
            foreach (var (name, probe) in workers)
            {
                if (!probe.HasMessages) continue;
                var run = probe.ExpectMsg<RunCell>();
                probe.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
                sent.Add(run.Item.Key);
                byWorker[run.Item.Key] = name;
                coordinator.Tell(Done(run, name), probe.Ref);
                coordinator.Tell(new RequestCell(name), probe.Ref);
                any = true;
            }
            if (!any) AwaitCondition(() => workers.Any(w => w.Probe.HasMessages), Limit);
        }
        Assert.True(finished.Task.Wait(Limit));

        Assert.Equal(plan.Cells.Select(c => c.Key).Order(), sent.Order());
        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), Runs.Counts(db));
        // The gradient merge became ready only once its partials were done, the influence partials as soon as training
        // was; planned before them, the merge went out first.
        var kinds = plan.Cells.ToDictionary(c => c.Key);
        int gradientMerge = sent.FindIndex(k => kinds[k].Kind == CellKinds.MergeMaps && kinds[k].ParameterObject()["method"]!.GetValue<string>() == "gradient");
        int firstInfluence = sent.FindIndex(k => kinds[k].Kind == CellKinds.InfluencePartial);
        Assert.True(gradientMerge < firstInfluence, $"the gradient merge went out {gradientMerge}th, an influence partial {firstInfluence}th");
        Assert.All(Runs.Cells(db), c => Assert.Equal(byWorker[c.Key], c.Worker));
    }

    [Fact]
    public void A_worker_that_terminates_gives_its_cell_back_and_a_cell_failing_every_time_is_failed_after_the_attempts_allowed()
    {
        var (plan, coordinator, finished, db) = Start(new CoordinatorOptions { MaxAttempts = 3, Backoff = TimeSpan.FromMilliseconds(50) });
        var lost = CreateTestProbe();
        var worker = CreateTestProbe();
        coordinator.Tell(new RequestCell("lost"), lost.Ref);
        var train = lost.ExpectMsg<RunCell>(Limit);
        coordinator.Tell(new RequestCell("w"), worker.Ref);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // The worker holding training stops (its node downed, say): training goes to the other, attempt 2.
        Sys.Stop(lost.Ref);
        var again = worker.ExpectMsg<RunCell>(Limit);
        Assert.Equal((train.Item.Key, 2), (again.Item.Key, again.Attempt));
        coordinator.Tell(Done(again, "w"), worker.Ref);

        // Every smoothgrad partial throws, every time; everything else works.
        var smoothgrad = plan.Cells.Where(c => c.Kind == CellKinds.ExplainPartial && c.ParameterObject()["method"]!.GetValue<string>() == "smoothgrad")
            .Select(c => c.Key).ToHashSet();
        var failures = new Dictionary<string, int>();
        var deadline = DateTime.UtcNow + Limit;
        coordinator.Tell(new RequestCell("w"), worker.Ref);
        while (!finished.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (worker.ReceiveOne(TimeSpan.FromMilliseconds(500)) is not { } message) continue;
            var run = Assert.IsType<RunCell>(message);
            if (smoothgrad.Contains(run.Item.Key))
            {
                failures[run.Item.Key] = failures.GetValueOrDefault(run.Item.Key) + 1;
                Assert.Equal(failures[run.Item.Key], run.Attempt);
                coordinator.Tell(new CellFailed(run.Item.Key, "w", "InvalidDataException: poisoned"), worker.Ref);
            }
            else coordinator.Tell(Done(run, "w"), worker.Ref);
            coordinator.Tell(new RequestCell("w"), worker.Ref);
        }
        Assert.True(finished.Task.Wait(Limit));

        var cells = Runs.Cells(db).ToDictionary(c => c.Key);
        Assert.All(smoothgrad, key => Assert.Equal((CellState.Failed, 3, "InvalidDataException: poisoned"), (cells[key].State, cells[key].Attempts, cells[key].Error)));
        Assert.All(smoothgrad, key => Assert.Equal(3, failures[key]));
        var downstream = TestSupport.Downstream(plan, smoothgrad);
        Assert.All(downstream.Except(smoothgrad), key => Assert.StartsWith("not run: it depends on", cells[key].Error));
        Assert.Equal(plan.Cells.Count - downstream.Count, cells.Values.Count(c => c.State == CellState.Done));
        // The lost attempt at training is recorded as such; the one that counts is the other worker's.
        var attempts = Runs.Executions(db, plan)[train.Item.Key];
        Assert.Equal([(ExecutionOutcome.Error, "lost"), (ExecutionOutcome.Ok, "w")], attempts.Select(a => (a.Outcome!.Value, a.Worker!)));
        Assert.Equal("worker lost was lost while running the cell", attempts[0].Error);
    }
}
