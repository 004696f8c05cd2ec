using System.Text;
using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>Cells through a real broker on loopback: transport to in-process workers (each on its own connection) and back.</summary>
public sealed class RabbitMqTransportTests : BrokerTest
{
    private static string Key(string text) => ContentHash.Of(text);

    /// <summary>"square": x from the parameters, squared; the dependency's scalars and artifact hash echoed back.</summary>
    private static CellOutput Square(WorkItem item, string worker)
    {
        var x = JsonNode.Parse(item.Parameters)!["x"]!.GetValue<double>();
        var dependency = item.Dependencies.Single();
        var output = new CellOutput();
        output.Scalars["square"] = x * x;
        output.Scalars["dependency_nan"] = double.IsNaN(dependency.Results.Scalars["accuracy"]) ? 1 : 0;
        output.Scalars["dependency_loss"] = dependency.Results.Scalars["loss"];
        output.Tables["echo"] = new JsonObject { ["label"] = item.Label, ["worker"] = worker, ["weights"] = dependency.Artifact("weights") }.ToJsonString();
        output.Artifacts["bytes"] = new ArtifactBytes(Encoding.UTF8.GetBytes($"cell {x}"), ArtifactBytes.Npy);
        return output;
    }

    private static WorkItem SquareCell(int i, string train)
    {
        var results = new CellResults
        {
            Scalars = new Dictionary<string, double> { ["accuracy"] = double.NaN, ["loss"] = 0.25 + i },
            Artifacts = new Dictionary<string, string> { ["weights"] = Key($"weights {i}") },
        };
        return new WorkItem(Key($"square {i}"), "square", new JsonObject { ["x"] = i }.ToJsonString(),
            [new DependencyResult(train, "train", results)], $"cell {i}");
    }

    [Fact]
    public async Task A_starting_coordinator_purges_the_cells_a_dead_one_left_queued()
    {
        // The new coordinator sends every cell its store has not done again, so the old copies would run twice.
        var none = new MemoryArtifacts(new Dictionary<string, byte[]>());
        var train = Key("train");
        await using (var dead = new RabbitMqTransport(Settings(), none))
        {
            await dead.StartAsync(_ => { }, _ => { }, CancellationToken.None);
            for (int i = 0; i < 5; i++) await dead.SendAsync(SquareCell(i, train), CancellationToken.None);
        }
        await using var next = new RabbitMqTransport(Settings(), none);
        Assert.Equal(5u, await Waiting(next.Queues.Work));
        await next.StartAsync(_ => { }, _ => { }, CancellationToken.None);
        Assert.Equal(0u, await Waiting(next.Queues.Work));
        await next.SendAsync(SquareCell(7, train), CancellationToken.None);
        Assert.Equal(1u, await Waiting(next.Queues.Work));
    }

    [Fact]
    public async Task Cells_go_to_workers_and_their_results_come_back_once_each()
    {
        var log = new ReportLog();
        await using var transport = new RabbitMqTransport(Settings(), new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        var a = await StartWorker(Settings(worker: "a"), s => new DelegateRunner(s, (item, _, _) => Square(item, "a")));
        var b = await StartWorker(Settings(worker: "b"), s => new DelegateRunner(s, (item, _, _) => Square(item, "b")));

        var train = Key("train");
        for (int i = 0; i < 20; i++) await transport.SendAsync(SquareCell(i, train), CancellationToken.None);
        var reports = await log.WaitFor(r => r.Count >= 20, Patience);

        Assert.Equal(20, reports.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => Key($"square {i}")).Order(), reports.Select(r => r.Key).Order());
        foreach (var report in reports)
        {
            int i = Enumerable.Range(0, 20).Single(j => Key($"square {j}") == report.Key);
            Assert.True(report.Succeeded, report.Error);
            Assert.Equal(i * i, report.Output!.Scalars["square"]);
            Assert.Equal(1, report.Output.Scalars["dependency_nan"]);
            Assert.Equal(0.25 + i, report.Output.Scalars["dependency_loss"]);
            var echo = JsonNode.Parse(report.Output.Tables["echo"])!;
            Assert.Equal($"cell {i}", echo["label"]!.GetValue<string>());
            Assert.Equal(report.Worker, echo["worker"]!.GetValue<string>());
            Assert.Equal(Key($"weights {i}"), echo["weights"]!.GetValue<string>());
            Assert.Equal($"cell {i}", Encoding.UTF8.GetString(report.Output.Artifacts["bytes"].Bytes));
            Assert.Equal(ArtifactBytes.Npy, report.Output.Artifacts["bytes"].MediaType);
        }
        Assert.Equal(0u, await Waiting(transport.Queues.Work));

        a.Stop.Cancel();
        b.Stop.Cancel();
        await Task.WhenAll(a.Run, b.Run).WaitAsync(Patience);
        Assert.Equal(20, a.Worker.Completed + b.Worker.Completed);
    }

    [Fact]
    public async Task A_cell_that_always_throws_is_dead_lettered_after_max_deliveries_and_reported_failed_with_its_last_error()
    {
        var log = new ReportLog();
        var settings = Settings(maxDeliveries: 3);
        await using var transport = new RabbitMqTransport(settings, new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        int attempts = 0;
        var worker = await StartWorker(settings, s => new DelegateRunner(s, (item, _, _) => item.Kind == "boom"
            ? throw new InvalidOperationException($"boom {Interlocked.Increment(ref attempts)}")
            : Square(item, "w")));

        var bad = new WorkItem(Key("bad"), "boom", "{}", []);
        await transport.SendAsync(bad, CancellationToken.None);
        await transport.SendAsync(SquareCell(7, Key("train")), CancellationToken.None);
        var reports = await log.WaitFor(r => r.Count >= 2, Patience);

        var failed = Assert.Single(reports, r => r.Key == bad.Key);
        Assert.False(failed.Succeeded);
        Assert.Equal("dead-lettered after 3 deliveries: InvalidOperationException: boom 3", failed.Error);
        Assert.Equal("w", failed.Worker);
        Assert.Equal(49, Assert.Single(reports, r => r.Key == Key("square 7")).Output!.Scalars["square"]);
        Assert.Equal(0u, await Waiting(transport.Queues.Failed));

        worker.Stop.Cancel();
        await worker.Run.WaitAsync(Patience);
        Assert.Equal(3, attempts);
        Assert.Equal(3, worker.Worker.FailedAttempts);
    }

    [Fact]
    public async Task An_unreadable_cell_is_dead_lettered_at_once_with_the_reason()
    {
        var log = new ReportLog();
        var settings = Settings(maxDeliveries: 5);
        await using var transport = new RabbitMqTransport(settings, new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        var worker = await StartWorker(settings, s => new DelegateRunner(s, (item, _, _) => Square(item, "w")));

        // A message without the parameters field, as a foreign or older publisher might send.
        await using (var connection = await BrokerConnection.OpenAsync(settings, "test publisher", CancellationToken.None))
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new RabbitMQ.Client.BasicProperties { MessageId = Key("garbled"), Persistent = true };
            await channel.BasicPublishAsync("", transport.Queues.Work, mandatory: true, properties,
                Encoding.UTF8.GetBytes("""{"key":"k","kind":"train","dependencies":[]}"""));
        }
        var report = Assert.Single(await log.WaitFor(r => r.Count >= 1, Patience));

        Assert.Equal(Key("garbled"), report.Key);
        Assert.StartsWith("dead-lettered (rejected): a cell message is not valid:", report.Error);
        Assert.Contains("parameters", report.Error);

        worker.Stop.Cancel();
        await worker.Run.WaitAsync(Patience);
        Assert.Equal(1, worker.Worker.FailedAttempts);
    }

    [Fact]
    public async Task A_cell_whose_worker_vanishes_mid_cell_is_redelivered_and_completed_by_another_worker()
    {
        var log = new ReportLog();
        var settings = Settings();
        await using var transport = new RabbitMqTransport(settings, new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var doomed = await StartWorker(Settings(worker: "doomed"), s => new DelegateRunner(s, (_, _, cancel) =>
        {
            started.TrySetResult();
            Task.Delay(Timeout.Infinite, cancel).Wait(CancellationToken.None);
            throw new InvalidOperationException("unreachable: the delay only ends by cancellation");
        }));

        var cell = SquareCell(3, Key("train"));
        await transport.SendAsync(cell, CancellationToken.None);
        await started.Task.WaitAsync(Patience);
        // The cell is held unacknowledged by the doomed worker: the other finds the queue empty until the doomed one goes.
        var survivor = await StartWorker(Settings(worker: "survivor"), s => new DelegateRunner(s, (item, _, _) => Square(item, "survivor")));
        await doomed.Worker.AbortAsync();
        await doomed.Run.WaitAsync(Patience);

        var report = Assert.Single(await log.WaitFor(r => r.Count >= 1, Patience));
        Assert.Equal(cell.Key, report.Key);
        Assert.Equal("survivor", report.Worker);
        Assert.Equal(9, report.Output!.Scalars["square"]);
        Assert.Equal(0, doomed.Worker.Completed);
        Assert.Equal(0, doomed.Worker.FailedAttempts);

        // A second cell after it: results are queued in order, so anything the doomed worker sent would be reported first.
        await transport.SendAsync(SquareCell(4, Key("train")), CancellationToken.None);
        var reports = await log.WaitFor(r => r.Any(x => x.Key == Key("square 4")), Patience);
        Assert.Equal(2, reports.Count);
        Assert.Single(reports, r => r.Key == cell.Key);

        survivor.Stop.Cancel();
        await survivor.Run.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_stopped_worker_finishes_and_acknowledges_its_running_cell_before_returning()
    {
        var log = new ReportLog();
        var settings = Settings();
        await using var transport = new RabbitMqTransport(settings, new MemoryArtifacts(new Dictionary<string, byte[]>()));
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = await StartWorker(settings, s => new DelegateRunner(s, (item, _, _) =>
        {
            started.TrySetResult();
            release.Task.Wait();
            return Square(item, "w");
        }));

        await transport.SendAsync(SquareCell(5, Key("train")), CancellationToken.None);
        await transport.SendAsync(SquareCell(6, Key("train")), CancellationToken.None);
        await started.Task.WaitAsync(Patience);
        worker.Stop.Cancel();
        Assert.False(worker.Run.IsCompleted);
        release.SetResult();
        await worker.Run.WaitAsync(Patience);

        var report = Assert.Single(await log.WaitFor(r => r.Count >= 1, Patience));
        Assert.Equal(25, report.Output!.Scalars["square"]);
        Assert.Equal(1, worker.Worker.Completed);
        // The first cell was acknowledged; the second, never started, waits in the queue for the next worker.
        Assert.Equal(1u, await Waiting(transport.Queues.Work));
    }

    [Fact]
    public async Task Workers_fetch_artifacts_from_the_coordinator_byte_for_byte_in_parts_and_cache_them()
    {
        var log = new ReportLog();
        var small = Encoding.UTF8.GetBytes("small artifact");
        var big = new byte[(1 << 20) + 123];
        new Random(11).NextBytes(big);
        var store = new MemoryArtifacts(new Dictionary<string, byte[]> { [ContentHash.Of(small)] = small, [ContentHash.Of(big)] = big });
        // 64 KiB messages: the big artifact travels to the worker and back in 17 parts each way.
        var settings = Settings(maxDeliveries: 1, maxMessageBytes: 64 << 10);
        await using var transport = new RabbitMqTransport(settings, store);
        await transport.StartAsync(log.Add, _ => { }, CancellationToken.None);
        RpcArtifactSource? fetcher = null;
        var worker = await StartWorker(settings, s =>
        {
            fetcher = (RpcArtifactSource)s;
            return new DelegateRunner(s, (item, artifacts, _) =>
            {
                var output = new CellOutput();
                foreach (var (name, hash) in item.Dependencies.Single().Results.Artifacts)
                    output.Artifacts[name] = new ArtifactBytes(artifacts.Get(hash), ArtifactBytes.SafeTensors);
                return output;
            });
        });

        var missing = Key("not stored");
        WorkItem Copy(string name, params (string Name, string Hash)[] wanted) => new(Key(name), "copy", "{}",
            [new DependencyResult(Key("train"), "train", new CellResults { Artifacts = wanted.ToDictionary(w => w.Name, w => w.Hash) })]);
        await transport.SendAsync(Copy("first", ("small", ContentHash.Of(small)), ("big", ContentHash.Of(big))), CancellationToken.None);
        await transport.SendAsync(Copy("second", ("big", ContentHash.Of(big))), CancellationToken.None);
        await transport.SendAsync(Copy("third", ("missing", missing)), CancellationToken.None);
        var reports = await log.WaitFor(r => r.Count >= 3, Patience);

        var first = Assert.Single(reports, r => r.Key == Key("first")).Output!;
        Assert.Equal(small, first.Artifacts["small"].Bytes);
        Assert.Equal(big, first.Artifacts["big"].Bytes);
        Assert.Equal(big, Assert.Single(reports, r => r.Key == Key("second")).Output!.Artifacts["big"].Bytes);
        var third = Assert.Single(reports, r => r.Key == Key("third"));
        Assert.Equal($"dead-lettered after 1 deliveries: InvalidDataException: artifact request failed at the coordinator: " +
            $"KeyNotFoundException: no artifact {missing}", third.Error);

        worker.Stop.Cancel();
        await worker.Run.WaitAsync(Patience);
        // The big artifact was asked for once: the second cell found it in the worker's cache.
        Assert.Equal(3, store.Requests);
        Assert.Equal(2, fetcher!.Fetched);
        Assert.Equal(3, transport.ArtifactRequestsServed);
    }

    [Fact]
    public async Task A_worker_whose_queue_is_deleted_stops_with_an_error_naming_it()
    {
        var settings = Settings();
        var worker = await StartWorker(settings, s => new DelegateRunner(s, (item, _, _) => Square(item, "w")));
        await using (var connection = await BrokerConnection.OpenAsync(settings, "test", CancellationToken.None))
        await using (var channel = await connection.CreateChannelAsync())
            await channel.QueueDeleteAsync(ClusterQueues.For(settings.Queues).Work, ifUnused: false, ifEmpty: false);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.Run.WaitAsync(Patience));
        Assert.Equal($"worker w stopped: the broker cancelled the consumer of {Prefix}.work", e.Message);
    }
}
