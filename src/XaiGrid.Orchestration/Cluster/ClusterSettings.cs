namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Everything cluster mode needs to know, read from <c>cluster-config/*.yaml</c> by <see cref="ClusterSettingsLoader"/>.
/// The coordinator reads <see cref="Coordinator"/>, a worker <see cref="Worker"/>; both read the broker and queue
/// sections, which must agree between them (the queues are declared with the same arguments by both sides).
/// </summary>
public sealed record ClusterSettings
{
    public BrokerSettings Broker { get; init; } = new();
    public QueueSettings Queues { get; init; } = new();
    public CoordinatorSettings Coordinator { get; init; } = new();
    public WorkerSettings Worker { get; init; } = new();
}

/// <summary>Where the broker is and who we are to it. Credentials come from the file or the environment, never from code.</summary>
public sealed record BrokerSettings
{
    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 5672;
    public string VirtualHost { get; init; } = "/";
    public string? User { get; init; }
    public string? Password { get; init; }

    /// <summary>AMQP heartbeat: a dead peer (a worker's machine gone, a cut network) is noticed after about twice this.</summary>
    public int HeartbeatSeconds { get; init; } = 30;

    public override string ToString() => $"amqp://{User}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}

/// <summary>The queues both sides declare; names are <see cref="Prefix"/> + ".work" etc. (see <see cref="ClusterQueues"/>).</summary>
public sealed record QueueSettings
{
    /// <summary>Separates experiments or users sharing one broker (and the tests' queues from each other).</summary>
    public string Prefix { get; init; } = "xaigrid";

    /// <summary>Deliveries of one cell (failed attempts, or workers dying with it) before it is dead-lettered.</summary>
    public int MaxDeliveries { get; init; } = 3;

    /// <summary>
    /// How long a worker may hold a cell unacknowledged. Brokers from 3.11.15 on take it per consumer; older ones
    /// apply their own <c>consumer_timeout</c> (cluster-config/rabbitmq.conf), which must then be at least this long.
    /// </summary>
    public TimeSpan ConsumerTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Largest message body; results and artifacts larger than this travel in parts of this size. Must not exceed the
    /// broker's <c>max_message_size</c> (128 MiB by default).
    /// </summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;
}

public sealed record CoordinatorSettings
{
    /// <summary>Cells published and not yet reported; the transport's capacity.</summary>
    public int MaxInFlight { get; init; } = 256;
}

public sealed record WorkerSettings
{
    /// <summary>Names the worker in reports and in the broker's connection list.</summary>
    public string Name { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary><c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads for the whole process; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Cells run at once, each with its own caches of data sets and models.</summary>
    public int ConcurrentCells { get; init; } = 1;

    /// <summary>Cells taken from the queue at once; at least <see cref="ConcurrentCells"/>. More would keep cells from idle workers.</summary>
    public int Prefetch { get; init; } = 1;

    /// <summary>Artifacts fetched from the coordinator are kept up to this many bytes, least recently used first out.</summary>
    public long ArtifactCacheBytes { get; init; } = 1L << 30;

    /// <summary>How long an artifact request waits for the coordinator before the cell fails.</summary>
    public TimeSpan ArtifactTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
