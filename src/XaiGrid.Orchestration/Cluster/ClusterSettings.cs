using Akka.Configuration;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Everything cluster mode needs to know, read by <see cref="ClusterSettingsLoader"/> from a HOCON file of
/// cluster-config/ (coordinator.conf, worker.conf) and the environment. <see cref="Config"/> is what the node's
/// actor system is made with (its <c>akka</c> section: address, failure detector, split-brain resolver, TLS); the
/// <c>xaigrid</c> section is read into the records here.
/// </summary>
public sealed record ClusterSettings
{
    /// <summary>The file's settings with the environment's on top, without the reference settings beneath.</summary>
    public required Config Config { get; init; }

    public CoordinatorSettings Coordinator { get; init; } = new();
    public WorkerSettings Worker { get; init; } = new();
    public ArtifactSettings Artifacts { get; init; } = new();
    public TlsSettings Tls { get; init; } = new();

    /// <summary>Where the node listens, as configured (<c>akka.remote.dot-netty.tcp</c>).</summary>
    public string Hostname => Config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1");

    public int Port => Config.GetInt("akka.remote.dot-netty.tcp.port", 0);

    /// <summary>The Akka address of the coordinator's node, which workers join (<see cref="WorkerSettings.Coordinator"/>).</summary>
    public Akka.Actor.Address CoordinatorAddress => ClusterSettingsLoader.CoordinatorAddress(Worker.Coordinator, Tls.Enabled);
}

public sealed record CoordinatorSettings
{
    /// <summary>Deliveries of one cell (attempts that threw, workers lost while running it) before it is recorded failed.</summary>
    public int MaxDeliveries { get; init; } = 3;

    /// <summary>The wait before a failed cell goes out again; it doubles with each further attempt.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A cell one worker holds longer than this counts as a failed delivery and goes to another worker.</summary>
    public TimeSpan LongestCell { get; init; } = TimeSpan.FromHours(2);
}

public sealed record WorkerSettings
{
    /// <summary>The coordinator's node, host:port: the cluster's seed, which workers join.</summary>
    public string Coordinator { get; init; } = "127.0.0.1:4053";

    /// <summary>Names the worker in the store and the logs; with several cells at once, NAME/0, NAME/1...</summary>
    public string Name { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary><c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads for the whole process; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Cells run at once, each by a cell worker of its own with its own caches of data sets and models.</summary>
    public int ConcurrentCells { get; init; } = 1;

    /// <summary>Where fetched artifacts are kept by hash; empty: a folder of this process's own under the temp folder.</summary>
    public string ArtifactCacheFolder { get; init; } = "";

    /// <summary>Cached artifacts are kept up to this many bytes, least recently used first out.</summary>
    public long ArtifactCacheBytes { get; init; } = 1L << 30;

    /// <summary>How long fetching one artifact may take before the cell that needs it fails.</summary>
    public TimeSpan ArtifactTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait, after leaving a cluster whose coordinator went away, before joining again.</summary>
    public TimeSpan RejoinDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>How artifacts travel between nodes; the same on every node.</summary>
public sealed record ArtifactSettings
{
    /// <summary>The size of a stream's chunks: the memory an artifact in transit takes, times the stream's buffer.</summary>
    public int ChunkBytes { get; init; } = 64 << 10;

    /// <summary>Artifacts (of one fetch, or of one cell's result) up to this size travel inline in one message.</summary>
    public int InlineBytes { get; init; } = 64 << 10;
}

/// <summary>Mutual TLS between nodes (DotNetty's SSL in Akka.Remote): every node presents a certificate and checks its peer's.</summary>
public sealed record TlsSettings
{
    public bool Enabled { get; init; }

    /// <summary>The node's certificate with its private key (PKCS#12, .pfx/.p12).</summary>
    public string Certificate { get; init; } = "";

    public string Password { get; init; } = "";

    /// <summary>
    /// A CA certificate (PEM or DER): peers must present a certificate it issued. Empty: peers must present this
    /// node's own certificate (one certificate for the whole cluster).
    /// </summary>
    public string CaCertificate { get; init; } = "";
}
