using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// The coordinator's side of cluster mode (DESIGN.md §5): publishes cells persistently to the work queue (confirmed by
/// the broker before <see cref="SendAsync"/> returns), reports what arrives on the results queue (acknowledged only
/// after the report was handed on, so a coordinator that dies first gets it again), reports dead-lettered cells as
/// failed with the last error a worker gave, and answers workers' artifact requests from the store. A worker that dies
/// produces no report: the broker redelivers its cell to another worker. If the broker connection is lost, every cell
/// still out is reported failed and further sends throw.
/// </summary>
public sealed class RabbitMqTransport : ICellTransport
{
    private readonly ClusterSettings settings;
    private readonly IArtifactSource artifacts;
    private readonly ClusterQueues queues;
    private readonly SemaphoreSlim publishing = new(1, 1);
    private readonly Lock gate = new();
    private readonly HashSet<string> outstanding = new();
    private readonly Dictionary<string, AttemptFailure> lastFailure = new();
    private IConnection? connection;
    private IChannel? publisher;
    private Action<CellReport> report = _ => { };
    private Action<CellStarted> started = _ => { };
    private string? lostReason;

    /// <param name="artifacts">Where artifact requests are answered from: the coordinator's store.</param>
    public RabbitMqTransport(ClusterSettings settings, IArtifactSource artifacts)
    {
        this.settings = settings;
        this.artifacts = artifacts;
        queues = ClusterQueues.For(settings.Queues);
    }

    public int Capacity => settings.Coordinator.MaxInFlight;

    public ClusterQueues Queues => queues;

    /// <summary>Artifact requests answered (with bytes or with an error).</summary>
    public int ArtifactRequestsServed { get; private set; }

    /// <summary>
    /// Connects, declares the queues and starts consuming results (and workers' starts), failures and artifact requests.
    /// <paramref name="onReport"/> and <paramref name="onStarted"/> may be called from several threads at once.
    /// </summary>
    public async Task StartAsync(Action<CellReport> onReport, Action<CellStarted> onStarted, CancellationToken cancel)
    {
        if (connection is not null) throw new InvalidOperationException("the transport is already started");
        report = onReport;
        started = onStarted;
        connection = await BrokerConnection.OpenAsync(settings, "coordinator", cancel);
        connection.ConnectionShutdownAsync += (_, reason) =>
        {
            if (reason.Initiator != ShutdownInitiator.Application) Lost(reason.ReplyText);
            return Task.CompletedTask;
        };
        publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true), cancel);
        await queues.DeclareAsync(publisher, settings.Queues, cancel);
        // Cells still queued were sent by a coordinator of this prefix that died; this one sends every cell the store
        // has not done again, so they would be computed twice. Cells a worker already holds are not purged: their
        // results still arrive and count.
        await publisher.QueuePurgeAsync(queues.Work, cancel);
        await Consume(queues.Results, prefetch: 16, ResultConsumer, cancel);
        await Consume(queues.Failed, prefetch: 16, FailureConsumer, cancel);
        await Consume(queues.Artifacts, prefetch: 1, ArtifactConsumer, cancel);
    }

    private async Task Consume(string queue, ushort prefetch, Func<IChannel, AsyncEventingBasicConsumer> consumer, CancellationToken cancel)
    {
        var channel = await connection!.CreateChannelAsync(cancellationToken: cancel);
        await channel.BasicQosAsync(0, prefetch, global: false, cancel);
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer(channel), cancel);
    }

    public async ValueTask SendAsync(WorkItem item, CancellationToken cancel)
    {
        if (publisher is null) throw new InvalidOperationException("the transport is not started");
        if (lostReason is { } reason) throw new InvalidOperationException($"cannot send cell {item.Key}: lost the broker connection: {reason}");
        var body = ClusterMessages.Encode(item);
        if (body.Length > settings.Queues.MaxMessageBytes)
            throw new InvalidOperationException($"cell {item.Key} is {body.Length} bytes as a message, over max_message_mb ({settings.Queues.MaxMessageBytes >> 20} MB)");
        var properties = new BasicProperties
        {
            Type = ClusterMessages.WorkType, MessageId = item.Key, Persistent = true, ContentType = "application/json",
        };
        lock (gate) outstanding.Add(item.Key);
        await publishing.WaitAsync(cancel);
        try
        {
            await publisher.BasicPublishAsync("", queues.Work, mandatory: true, properties, body, cancel);
        }
        catch
        {
            lock (gate) outstanding.Remove(item.Key);
            throw;
        }
        finally
        {
            publishing.Release();
        }
    }

    private void Report(CellReport cellReport)
    {
        lock (gate)
        {
            outstanding.Remove(cellReport.Key);
            lastFailure.Remove(cellReport.Key);
        }
        report(cellReport);
    }

    private void Lost(string reason)
    {
        List<string> cut;
        lock (gate)
        {
            lostReason = reason;
            cut = outstanding.ToList();
        }
        foreach (var key in cut) Report(new CellReport(key, "", null, $"lost the broker connection: {reason}"));
    }

    /// <summary>
    /// Workers' starts, and results in parts: every part but the one completing a result is acknowledged on arrival.
    /// A worker publishes a cell's start before its result, on the same channel, so the start arrives first.
    /// </summary>
    private AsyncEventingBasicConsumer ResultConsumer(IChannel channel)
    {
        var assembler = new PartAssembler();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            if (delivery.BasicProperties.Type == ClusterMessages.StartedType)
            {
                try
                {
                    started(ClusterMessages.DecodeStarted(delivery.Body.Span));
                }
                catch (InvalidDataException)
                {
                    // Only the start's timing is lost; the result still comes.
                }
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                return;
            }
            // A worker that died mid-result left parts that will never complete.
            assembler.DropStale(settings.Queues.ConsumerTimeout);
            CellReport? cellReport;
            try
            {
                var payload = assembler.Add(delivery.BasicProperties, delivery.Body);
                cellReport = payload is null ? null : ClusterMessages.DecodeResult(payload);
            }
            catch (InvalidDataException e)
            {
                // Acknowledged all the same: a message that cannot be read now never will be.
                cellReport = delivery.BasicProperties.MessageId is { } key ? new CellReport(key, "", null, $"unreadable result: {e.Message}") : null;
            }
            if (cellReport is not null) Report(cellReport);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        return consumer;
    }

    /// <summary>
    /// Failed attempts (remembered) and dead-lettered cells (reported failed with the last remembered error). A worker
    /// publishes an attempt's error before returning the cell, so it is queued ahead of the cell's dead letter.
    /// </summary>
    private AsyncEventingBasicConsumer FailureConsumer(IChannel channel)
    {
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var properties = delivery.BasicProperties;
            if (properties.Type == ClusterMessages.AttemptFailedType)
            {
                try
                {
                    var failure = ClusterMessages.DecodeAttemptFailure(delivery.Body.Span);
                    lock (gate) lastFailure[failure.Key] = failure;
                }
                catch (InvalidDataException)
                {
                    // Only the error text of a later dead letter is lost.
                }
            }
            else if (properties.MessageId is { } key)
            {
                AttemptFailure? last;
                lock (gate) lastFailure.TryGetValue(key, out last);
                var reason = MessageParts.StringHeader(properties, "x-first-death-reason");
                var how = reason == "delivery_limit" ? $"dead-lettered after {settings.Queues.MaxDeliveries} deliveries"
                    : $"dead-lettered ({reason ?? "unknown reason"})";
                Report(new CellReport(key, last?.Worker ?? "", null, $"{how}: {last?.Error ?? "last error unknown (a worker died with it?)"}"));
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        return consumer;
    }

    /// <summary>Replies with the artifact's bytes, in parts when large, or with an error header naming what went wrong.</summary>
    private AsyncEventingBasicConsumer ArtifactConsumer(IChannel channel)
    {
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var request = delivery.BasicProperties;
            if (request.ReplyTo is { } replyTo && request.CorrelationId is { } id)
            {
                byte[]? bytes = null;
                string? error = null;
                try
                {
                    bytes = artifacts.Get(ClusterMessages.DecodeArtifactRequest(delivery.Body.Span));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    error = $"artifact request failed at the coordinator: {e.GetType().Name}: {e.Message}";
                }
                var parts = bytes is null
                    ? [([], new Dictionary<string, object?> { [ClusterMessages.ErrorHeader] = error })]
                    : MessageParts.Split([bytes], settings.Queues.MaxMessageBytes);
                foreach (var (body, headers) in parts)
                {
                    var properties = new BasicProperties { Type = ClusterMessages.ArtifactReplyType, CorrelationId = id, Headers = headers };
                    // Not mandatory: a worker gone since it asked has no reply queue any more, and that is fine.
                    await channel.BasicPublishAsync("", replyTo, mandatory: false, properties, body);
                }
                ArtifactRequestsServed++;
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is null) return;
        if (connection.IsOpen) await connection.CloseAsync();
        connection.Dispose();
        publishing.Dispose();
    }
}
