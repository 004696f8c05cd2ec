using System.Threading.Channels;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Runs;

/// <summary>
/// What the coordinator sends and when, with the test as the workers: cells wait in the coordinator, not in a queue
/// ahead of the workers, so one that becomes ready later still goes out in planning order.
/// </summary>
[Collection(RunsCollection.Name)]
public class DispatchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    /// <summary>Room for every cell at once, as a broker queue has: only the coordinator's own limit holds cells back.</summary>
    private sealed class ScriptedTransport : ICellTransport
    {
        private readonly Lock gate = new();
        private readonly HashSet<string> workers = new();
        private Action<CellReport> report = _ => { };
        private Action<CellStarted> started = _ => { };
        private int sent, startedCount;

        public Channel<WorkItem> Sent { get; } = Channel.CreateUnbounded<WorkItem>();

        /// <summary>The most cells sent and not started at once, and how often that exceeded the workers that had started cells.</summary>
        public int MostUnstarted { get; private set; }

        public int OverLimit { get; private set; }

        public int Capacity => 1000;

        public Task StartAsync(Action<CellReport> onReport, Action<CellStarted> onStarted, CancellationToken cancel)
        {
            report = onReport;
            started = onStarted;
            return Task.CompletedTask;
        }

        public ValueTask SendAsync(WorkItem item, CancellationToken cancel)
        {
            lock (gate)
            {
                int unstarted = ++sent - startedCount;
                MostUnstarted = Math.Max(MostUnstarted, unstarted);
                if (unstarted > Math.Max(1, workers.Count)) OverLimit++;
            }
            Sent.Writer.TryWrite(item);
            return ValueTask.CompletedTask;
        }

        public void Start(string key, string worker)
        {
            lock (gate)
            {
                startedCount++;
                workers.Add(worker);
            }
            started(new CellStarted(key, worker));
        }

        public void Finish(string key, string worker) => report(new CellReport(key, worker, new CellOutput(), null));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Cells_wait_for_a_worker_in_the_coordinator_and_a_cell_ready_later_goes_out_in_planning_order()
    {
        using var folder = new TempFolder();
        var experiment = TinyExperiment.Write(folder.Path);
        var db = folder.File("dispatch.db");
        var plan = ExperimentRunner.Plan(experiment);
        var transport = new ScriptedTransport();
        var run = ExperimentRunner.RunAsync(experiment, plan, db, transport);

        // Each round: take what the coordinator sent (it has 100 ms to send more), start it on two workers in turn, finish it.
        var sent = new List<string>();
        var worker = new Dictionary<string, string>();
        while (sent.Count < plan.Cells.Count)
        {
            var batch = new List<string> { (await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Limit)).Key };
            using (var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
                try
                {
                    while (true) batch.Add((await transport.Sent.Reader.ReadAsync(wait.Token)).Key);
                }
                catch (OperationCanceledException)
                {
                }
            foreach (var key in batch) transport.Start(key, worker[key] = $"w{worker.Count % 2 + 1}");
            foreach (var key in batch) transport.Finish(key, worker[key]);
            sent.AddRange(batch);
        }
        var summary = await run.WaitAsync(Limit);

        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), summary.Status.Cells);
        Assert.Equal(plan.Cells.Select(c => c.Key).Order(), sent.Order());
        // One cell waits while one worker is known, two once two are.
        Assert.Equal((2, 0), (transport.MostUnstarted, transport.OverLimit));
        // The influence partials were ready as soon as training was done; the gradient merge only once its three
        // partials were. Planned before them, it went out first.
        var kinds = plan.Cells.ToDictionary(c => c.Key);
        int gradientMerge = sent.FindIndex(k => kinds[k].Kind == CellKinds.MergeMaps && kinds[k].ParameterObject()["method"]!.GetValue<string>() == "gradient");
        int firstInfluence = sent.FindIndex(k => kinds[k].Kind == CellKinds.InfluencePartial);
        Assert.True(gradientMerge < firstInfluence, $"the gradient merge went out {gradientMerge}th, an influence partial {firstInfluence}th");
        // Each cell is recorded as run by the worker that started it.
        Assert.All(Runs.Cells(db), c => Assert.Equal(worker[c.Key], c.Worker));
    }
}
