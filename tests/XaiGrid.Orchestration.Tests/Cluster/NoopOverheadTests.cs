using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// What the broker adds per cell: cells whose work is nothing, publish to report, through two workers; with many cells
/// out at once (throughput) and with one (round trip). The time is printed, not asserted; the test checks every cell
/// came back once with its own result.
/// </summary>
public sealed class NoopOverheadTests(ITestOutputHelper output) : BrokerTest
{
    [Theory]
    [InlineData(1000, 64)]
    [InlineData(200, 1)]
    public async Task Noop_cells_each_come_back_once(int cells, int inFlight)
    {
        var log = new ReportLog();
        var settings = Settings(prefetch: 4) with { Coordinator = new CoordinatorSettings { MaxInFlight = inFlight } };
        await using var transport = new RabbitMqTransport(settings, new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        static CellOutput Noop(WorkItem item)
        {
            var output = new CellOutput();
            output.Scalars["i"] = JsonNode.Parse(item.Parameters)!["i"]!.GetValue<int>();
            return output;
        }
        var a = await StartWorker(Settings(worker: "a", prefetch: 4), s => new DelegateRunner(s, (item, _, _) => Noop(item)));
        var b = await StartWorker(Settings(worker: "b", prefetch: 4), s => new DelegateRunner(s, (item, _, _) => Noop(item)));
        var items = Enumerable.Range(0, cells).Select(i => new WorkItem(ContentHash.Of($"noop {i}"), "noop", $$"""{"i":{{i}}}""", [])).ToList();

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cells; i++)
        {
            // As the coordinator does: never more than the transport's capacity out at once.
            int sent = i;
            if (sent >= transport.Capacity) await log.WaitFor(r => r.Count > sent - transport.Capacity, Patience);
            await transport.SendAsync(items[i], CancellationToken.None);
        }
        var reports = await log.WaitFor(r => r.Count >= cells, Patience);
        clock.Stop();

        Assert.Equal(cells, reports.Count);
        var byKey = reports.ToDictionary(r => r.Key);
        for (int i = 0; i < cells; i++) Assert.Equal(i, byKey[items[i].Key].Output!.Scalars["i"]);
        a.Stop.Cancel();
        b.Stop.Cancel();
        await Task.WhenAll(a.Run, b.Run).WaitAsync(Patience);
        var line = $"{cells} no-op cells through RabbitMQ, 2 workers, capacity {transport.Capacity}: {clock.Elapsed.TotalSeconds:0.00} s, " +
            $"{clock.Elapsed.TotalMilliseconds * 1000 / cells:0} us per cell, {cells / clock.Elapsed.TotalSeconds:0} cells/s " +
            $"(worker a {a.Worker.Completed}, b {b.Worker.Completed})";
        output.WriteLine(line);
        Console.WriteLine(line);

        Assert.Equal(cells, a.Worker.Completed + b.Worker.Completed);
    }
}
