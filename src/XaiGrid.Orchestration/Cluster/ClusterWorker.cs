using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// A worker process in cluster mode (DESIGN.md §5): takes cells from the work queue with manual acknowledgement and
/// a prefetch of <see cref="WorkerSettings.Prefetch"/>, runs up to <see cref="WorkerSettings.ConcurrentCells"/> at once
/// (each slot on its own thread with its own <see cref="ICellRunner"/>), says on the results queue when it starts a
/// cell, fetches artifacts from the coordinator, publishes each result and only then acknowledges the cell. A cell that
/// throws: the error goes to the failed queue and the cell back to the work queue, to be tried again (here or on
/// another worker) until the broker dead-letters it. A worker that dies holds no acknowledged cell: the broker hands
/// its cells to others. With a log, each cell is logged as it starts and ends (<c>worker NAME: KIND cell KEY
/// started</c>, then <c>... done in S s</c> or <c>... failed: ERROR</c>), so an operator sees what each worker is at.
/// </summary>
public sealed class ClusterWorker
{
    private readonly ClusterSettings settings;
    private readonly Func<IArtifactSource, ICellRunner>? runners;
    private readonly TextWriter? log;
    private readonly CancellationTokenSource abort = new();
    // Running cells stop on an abort or a lost connection (their results could not be sent), not on a graceful stop.
    private readonly CancellationTokenSource cells = new();
    private readonly TaskCompletionSource<string> lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConnection? connection;
    private Device device = torch.CPU;
    private int completed, failedAttempts;

    /// <param name="runners">
    /// Makes each slot's cell runner; null runs cells with <see cref="CellExecutor"/> (<see cref="ExecutorCellRunner"/>)
    /// on the configured device and threads. Tests and benchmarks pass their own.
    /// </param>
    /// <param name="log">Where each cell's start and end are written (thread-safe); none when null.</param>
    public ClusterWorker(ClusterSettings settings, Func<IArtifactSource, ICellRunner>? runners = null, TextWriter? log = null)
    {
        this.settings = settings;
        this.runners = runners;
        this.log = log;
    }

    public string Name => settings.Worker.Name;

    /// <summary>Cells this worker finished and acknowledged.</summary>
    public int Completed => Volatile.Read(ref completed);

    /// <summary>Attempts that threw and were returned to the queue (or dead-lettered at once, if unreadable).</summary>
    public int FailedAttempts => Volatile.Read(ref failedAttempts);

    /// <summary>Completes once the worker consumes the work queue; cancelled if it stopped before.</summary>
    public Task Ready => ready.Task;

    /// <summary>
    /// The <c>xaigrid worker</c> process: runs until SIGTERM or SIGINT (or <paramref name="cancel"/>), then finishes the
    /// cells it is running, acknowledges them and returns. A second signal ends the process at once; the broker then
    /// hands its unfinished cells to other workers.
    /// </summary>
    public static async Task RunAsync(ClusterSettings settings, CancellationToken cancel = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) > 1) return;
            context.Cancel = true;
            Console.Error.WriteLine($"worker {settings.Worker.Name}: stopping after the running cells (signal again to stop at once)");
            stop.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        await new ClusterWorker(settings, log: Console.Out).RunAsync(stop.Token);
    }

    /// <summary>
    /// Consumes cells until <paramref name="stop"/> (then finishes the running cells, acknowledges them and returns) or
    /// <see cref="AbortAsync"/>. Throws when the broker connection is lost.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (runners is null) ConfigureTorch();
        var queues = ClusterQueues.For(settings.Queues);
        connection = await BrokerConnection.OpenAsync(settings, $"worker {Name}", stop);
        connection.ConnectionShutdownAsync += (_, reason) =>
        {
            if (reason.Initiator != ShutdownInitiator.Application) Lose($"lost the broker connection: {reason.ReplyText}");
            return Task.CompletedTask;
        };
        try
        {
            var control = await connection.CreateChannelAsync(Confirmed, stop);
            await queues.DeclareAsync(control, settings.Queues, stop);
            var artifacts = await RpcArtifactSource.StartAsync(control, queues, settings.Worker, stop);

            var work = await connection.CreateChannelAsync(cancellationToken: stop);
            work.ChannelShutdownAsync += (_, reason) =>
            {
                // A channel the broker closes (a cell held past the consumer timeout) cannot acknowledge anything any more.
                if (reason.Initiator == ShutdownInitiator.Peer) Lose($"the broker closed the work channel: {reason.ReplyText}");
                return Task.CompletedTask;
            };
            await work.BasicQosAsync(0, (ushort)settings.Worker.Prefetch, global: false, stop);
            var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleWriter = true });
            var consumer = new AsyncEventingBasicConsumer(work);
            consumer.ReceivedAsync += (_, d) =>
            {
                inbox.Writer.TryWrite(new Delivery(d.DeliveryTag, d.Body.ToArray(), d.BasicProperties.MessageId, DeliveryCount(d.BasicProperties)));
                return Task.CompletedTask;
            };
            consumer.UnregisteredAsync += (_, _) =>
            {
                // Cancelled by the broker, not by us (we cancel only when stopping): the queue was deleted.
                if (!stop.IsCancellationRequested && !cells.IsCancellationRequested) Lose($"the broker cancelled the consumer of {queues.Work}");
                return Task.CompletedTask;
            };
            var consumerArguments = new Dictionary<string, object?>
            {
                // Honoured by brokers from 3.11.15 on; older ones apply their consumer_timeout from rabbitmq.conf.
                ["x-consumer-timeout"] = (long)settings.Queues.ConsumerTimeout.TotalMilliseconds,
            };
            var consumerTag = await work.BasicConsumeAsync(queues.Work, autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
                consumerArguments, consumer, stop);

            using var leave = CancellationTokenSource.CreateLinkedTokenSource(stop, cells.Token);
            var acks = new SemaphoreSlim(1, 1);
            var slots = new Task[settings.Worker.ConcurrentCells];
            for (int i = 0; i < slots.Length; i++)
            {
                var slot = new Slot(this, slots.Length == 1 ? Name : $"{Name}/{i}", work, acks, artifacts, queues, inbox.Reader, leave.Token);
                var publisher = await connection.CreateChannelAsync(Confirmed, stop);
                slots[i] = Task.Factory.StartNew(() =>
                {
                    try
                    {
                        slot.Run(publisher);
                    }
                    catch (Exception e) when (!cells.IsCancellationRequested)
                    {
                        // A slot that cannot publish or acknowledge holds its cell forever: the whole worker stops instead.
                        Lose($"{e.GetType().Name}: {e.Message}");
                        throw;
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            ready.TrySetResult();

            var all = Task.WhenAll(slots);
            await Task.WhenAny(all, Task.Delay(Timeout.Infinite, leave.Token)).ContinueWith(_ => { }, TaskScheduler.Default);
            if (!cells.IsCancellationRequested)
            {
                // No more deliveries while the running cells finish; ones already buffered go back when the channel closes.
                await acks.WaitAsync(CancellationToken.None);
                try
                {
                    await work.BasicCancelAsync(consumerTag, noWait: false, CancellationToken.None);
                }
                finally
                {
                    acks.Release();
                }
            }
            try
            {
                await all;
            }
            catch (Exception) when (cells.IsCancellationRequested)
            {
                // A slot cut off mid-publish by the abort or the lost connection (reported below); the broker redelivers its cell.
            }
            if (lost.Task.IsCompleted && !abort.IsCancellationRequested)
                throw new InvalidOperationException($"worker {Name} stopped: {lost.Task.Result}");
        }
        finally
        {
            ready.TrySetCanceled();
            if (connection.IsOpen && !abort.IsCancellationRequested) await connection.CloseAsync(CancellationToken.None);
            connection.Dispose();
        }
    }

    private void Lose(string reason)
    {
        lost.TrySetResult(reason);
        cells.Cancel();
    }

    /// <summary>
    /// Drops the broker connection at once, as a killed process would: the running cells are cancelled and not
    /// acknowledged, and the broker hands them to other workers. <see cref="RunAsync(CancellationToken)"/> then returns.
    /// </summary>
    public async Task AbortAsync()
    {
        await abort.CancelAsync();
        await cells.CancelAsync();
        if (connection is { } c) await c.AbortAsync();
    }

    private static readonly CreateChannelOptions Confirmed = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private void ConfigureTorch()
    {
        device = Devices.Resolve(settings.Worker.Device, "worker.device");
        if (settings.Worker.Threads > 0) torch.set_num_threads(settings.Worker.Threads);
    }

    /// <summary>Quorum queues count earlier deliveries in x-delivery-count; absent on the first.</summary>
    private static long DeliveryCount(IReadOnlyBasicProperties properties) => (MessageParts.LongHeader(properties, "x-delivery-count") ?? 0) + 1;

    private sealed record Delivery(ulong Tag, byte[] Body, string? MessageId, long Number);

    /// <summary>One cell at a time on its own thread; acknowledgements go through the shared work channel.</summary>
    private sealed class Slot(ClusterWorker worker, string name, IChannel work, SemaphoreSlim acks, IArtifactSource artifacts,
        ClusterQueues queues, ChannelReader<Delivery> inbox, CancellationToken leave)
    {
        public void Run(IChannel publisher)
        {
            using var runner = worker.runners?.Invoke(artifacts) ?? new ExecutorCellRunner(artifacts, worker.device);
            while (true)
            {
                Delivery delivery;
                try
                {
                    delivery = inbox.ReadAsync(leave).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                Handle(delivery, runner, publisher);
            }
        }

        private void Handle(Delivery delivery, ICellRunner runner, IChannel publisher)
        {
            WorkItem item;
            try
            {
                item = ClusterMessages.DecodeWorkItem(delivery.Body);
            }
            catch (InvalidDataException e)
            {
                // Unreadable here is unreadable everywhere: dead-letter it now rather than after N tries.
                Fail(publisher, new AttemptFailure(delivery.MessageId ?? "", name, e.Message, delivery.Number));
                Settle(delivery, c => c.BasicRejectAsync(delivery.Tag, requeue: false));
                return;
            }

            var clock = Stopwatch.StartNew();
            worker.log?.WriteLine($"worker {name}: {item.Kind} cell {item.Key} started");
            // The coordinator keeps no more cells queued than there are workers, so it needs to hear when one is taken
            // up; the store then also times the cell from here rather than from its sending.
            publisher.BasicPublishAsync("", queues.Results, mandatory: true,
                new BasicProperties { Type = ClusterMessages.StartedType, MessageId = item.Key, ContentType = "application/json" },
                ClusterMessages.Encode(new CellStarted(item.Key, name))).AsTask().GetAwaiter().GetResult();
            CellOutput output;
            try
            {
                output = runner.Run(item, worker.cells.Token);
            }
            catch (Exception) when (worker.cells.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                worker.log?.WriteLine($"worker {name}: {item.Kind} cell {item.Key} failed: {Describe(e)}");
                Fail(publisher, new AttemptFailure(item.Key, name, Describe(e), delivery.Number));
                Settle(delivery, c => c.BasicNackAsync(delivery.Tag, multiple: false, requeue: true));
                return;
            }
            if (worker.cells.IsCancellationRequested) return;

            var properties = new BasicProperties
            {
                Type = ClusterMessages.ResultType, MessageId = item.Key, Persistent = true, ContentType = "application/x-xaigrid-result",
            };
            foreach (var (body, headers) in MessageParts.Split(ClusterMessages.EncodeResult(item.Key, name, output), worker.settings.Queues.MaxMessageBytes))
            {
                properties.Headers = headers;
                publisher.BasicPublishAsync("", queues.Results, mandatory: true, properties, body).AsTask().GetAwaiter().GetResult();
            }
            Settle(delivery, c => c.BasicAckAsync(delivery.Tag, multiple: false));
            Interlocked.Increment(ref worker.completed);
            worker.log?.WriteLine($"worker {name}: {item.Kind} cell {item.Key} done in {clock.Elapsed.TotalSeconds:F1} s");
        }

        private void Fail(IChannel publisher, AttemptFailure failure)
        {
            Interlocked.Increment(ref worker.failedAttempts);
            var properties = new BasicProperties
            {
                Type = ClusterMessages.AttemptFailedType, MessageId = failure.Key, Persistent = true, ContentType = "application/json",
            };
            // Confirmed before the cell goes back, so it sits in the failed queue ahead of the cell's dead letter.
            publisher.BasicPublishAsync("", queues.Failed, mandatory: true, properties, ClusterMessages.Encode(failure)).AsTask().GetAwaiter().GetResult();
        }

        private void Settle(Delivery delivery, Func<IChannel, ValueTask> settle)
        {
            acks.Wait();
            try
            {
                settle(work).AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                acks.Release();
            }
        }

        private static string Describe(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Describe(a.InnerExceptions[0])
            : $"{e.GetType().Name}: {e.Message}";
    }
}
