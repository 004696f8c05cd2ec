using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// A worker's artifacts, fetched from the coordinator by hash over RabbitMQ (request to the artifacts queue, reply in
/// parts to this worker's exclusive queue) and checked against their hash. Kept in a cache bounded in bytes; cells
/// asking for the same artifact at once share one request. Thread-safe: every cell slot of the worker uses it.
/// </summary>
public sealed class RpcArtifactSource : IArtifactSource
{
    private readonly IChannel channel;
    private readonly string requestQueue;
    private readonly string replyQueue;
    private readonly WorkerSettings settings;
    private readonly PartAssembler assembler = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<byte[]>> waiting = new();
    private readonly Lock gate = new();
    // Publishing with confirmation tracking is not safe from several threads at once on one channel.
    private readonly SemaphoreSlim publishing = new(1, 1);
    private readonly Dictionary<string, Task<byte[]>> fetching = new();
    private readonly OrderedDictionary<string, byte[]> cache = new();
    private long cachedBytes;
    private int fetched;

    private RpcArtifactSource(IChannel channel, string requestQueue, string replyQueue, WorkerSettings settings)
    {
        this.channel = channel;
        this.requestQueue = requestQueue;
        this.replyQueue = replyQueue;
        this.settings = settings;
    }

    /// <summary>Requests made through <see cref="Get"/> and answered by the coordinator (cache hits not counted).</summary>
    public int Fetched => Volatile.Read(ref fetched);

    /// <summary>Declares this worker's reply queue on <paramref name="channel"/> and starts consuming it.</summary>
    public static async Task<RpcArtifactSource> StartAsync(IChannel channel, ClusterQueues queues, WorkerSettings settings, CancellationToken cancel)
    {
        var reply = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancel);
        var source = new RpcArtifactSource(channel, queues.Artifacts, reply.QueueName, settings);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            source.OnReply(delivery.BasicProperties, delivery.Body);
            return Task.CompletedTask;
        };
        channel.ChannelShutdownAsync += (_, reason) =>
        {
            foreach (var request in source.waiting.Values)
                request.TrySetException(new InvalidOperationException($"lost the broker channel while fetching an artifact: {reason.ReplyText}"));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(reply.QueueName, autoAck: true, consumer, cancel);
        return source;
    }

    public byte[] Get(string hash) => GetAsync(hash).GetAwaiter().GetResult();

    public async Task<byte[]> GetAsync(string hash)
    {
        if (!ContentHash.IsValid(hash)) throw new ArgumentException($"'{hash}' is not an artifact hash (64 lowercase hex digits)", nameof(hash));
        Task<byte[]>? fetch;
        lock (gate)
        {
            if (cache.Remove(hash, out var cached))
            {
                cache[hash] = cached;
                return cached;
            }
            if (!fetching.TryGetValue(hash, out fetch)) fetching[hash] = fetch = Fetch(hash);
        }
        try
        {
            var bytes = await fetch;
            lock (gate) Keep(hash, bytes);
            return bytes;
        }
        finally
        {
            lock (gate)
                if (fetching.TryGetValue(hash, out var current) && current == fetch) fetching.Remove(hash);
        }
    }

    private async Task<byte[]> Fetch(string hash)
    {
        await Task.Yield();
        var id = Guid.NewGuid().ToString("N");
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[id] = reply;
        try
        {
            var properties = new BasicProperties
            {
                Type = ClusterMessages.ArtifactRequestType,
                CorrelationId = id,
                ReplyTo = replyQueue,
                // A request the coordinator cannot answer in time is dropped, not answered to a worker that gave up.
                Expiration = ((long)settings.ArtifactTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            await publishing.WaitAsync();
            try
            {
                await channel.BasicPublishAsync("", requestQueue, mandatory: true, properties, ClusterMessages.EncodeArtifactRequest(hash));
            }
            finally
            {
                publishing.Release();
            }
            byte[] bytes;
            try
            {
                bytes = await reply.Task.WaitAsync(settings.ArtifactTimeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"artifact {hash}: the coordinator did not answer within {settings.ArtifactTimeout.TotalSeconds:0} s");
            }
            var actual = ContentHash.Of(bytes);
            if (actual != hash) throw new InvalidDataException($"artifact {hash}: received {bytes.Length} bytes hashing to {actual}");
            Interlocked.Increment(ref fetched);
            return bytes;
        }
        finally
        {
            waiting.TryRemove(id, out _);
        }
    }

    private void Keep(string hash, byte[] bytes)
    {
        if (bytes.Length > settings.ArtifactCacheBytes || cache.ContainsKey(hash)) return;
        while (cachedBytes + bytes.Length > settings.ArtifactCacheBytes)
        {
            cachedBytes -= cache.GetAt(0).Value.Length;
            cache.RemoveAt(0);
        }
        cache[hash] = bytes;
        cachedBytes += bytes.Length;
    }

    /// <summary>Runs on the channel's dispatcher, one reply at a time.</summary>
    private void OnReply(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        // Parts of requests that timed out would otherwise stay forever.
        assembler.DropStale(settings.ArtifactTimeout);
        if (properties.CorrelationId is not { } id || !waiting.TryGetValue(id, out var reply)) return;
        if (MessageParts.StringHeader(properties, ClusterMessages.ErrorHeader) is { } error)
        {
            reply.TrySetException(new InvalidDataException(error));
            return;
        }
        try
        {
            if (assembler.Add(properties, body) is { } bytes) reply.TrySetResult(bytes);
        }
        catch (InvalidDataException e)
        {
            reply.TrySetException(e);
        }
    }
}
