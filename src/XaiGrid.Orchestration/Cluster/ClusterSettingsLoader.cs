using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Reads <see cref="ClusterSettings"/> from a HOCON file (cluster-config/coordinator.conf, worker.conf). The file's
/// <c>akka</c> section configures the node's actor system as Akka documents it; its <c>xaigrid</c> section holds
/// XaiGrid's own keys, where an unknown key is an error naming it. The environment goes on top of the file:
/// <list type="bullet">
/// <item><c>XAIGRID_HOSTNAME</c>, <c>XAIGRID_PORT</c>, <c>XAIGRID_PUBLIC_HOSTNAME</c>: where the node listens and the
///   address others reach it at (<c>akka.remote.dot-netty.tcp</c>);</item>
/// <item><c>XAIGRID_COORDINATOR</c> (host:port) and <c>XAIGRID_WORKER_NAME</c>: the worker's coordinator and name;</item>
/// <item><c>XAIGRID_TLS_CERTIFICATE</c>, <c>XAIGRID_TLS_PASSWORD</c>, <c>XAIGRID_TLS_CA</c>: TLS on, with this
///   certificate (and its password, which then need not sit in a file), trusting this CA.</item>
/// </list>
/// </summary>
public static class ClusterSettingsLoader
{
    public const string HostnameVariable = "XAIGRID_HOSTNAME", PortVariable = "XAIGRID_PORT", PublicHostnameVariable = "XAIGRID_PUBLIC_HOSTNAME",
        CoordinatorVariable = "XAIGRID_COORDINATOR", WorkerNameVariable = "XAIGRID_WORKER_NAME",
        CertificateVariable = "XAIGRID_TLS_CERTIFICATE", PasswordVariable = "XAIGRID_TLS_PASSWORD", CaVariable = "XAIGRID_TLS_CA";

    private static readonly Dictionary<string, string[]> Keys = new()
    {
        ["xaigrid"] = ["coordinator", "worker", "artifacts", "tls", "cell-dispatcher", "store-dispatcher"],
        ["xaigrid.coordinator"] = ["max-deliveries", "retry-backoff", "longest-cell"],
        ["xaigrid.worker"] = ["coordinator", "name", "device", "threads", "concurrent-cells", "artifact-cache-folder", "artifact-cache-size",
            "artifact-timeout", "rejoin-delay"],
        ["xaigrid.artifacts"] = ["chunk-size", "inline-limit"],
        ["xaigrid.tls"] = ["ca-certificate"],
    };

    /// <param name="environment">Reads an environment variable; the process environment when null.</param>
    public static ClusterSettings Load(string path, Func<string, string?>? environment = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"cluster settings file not found: {path}", path);
        return Parse(File.ReadAllText(path), path, environment);
    }

    public static ClusterSettings Parse(string hocon, string source, Func<string, string?>? environment = null)
    {
        Config file;
        try
        {
            file = ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: not valid HOCON: {e.Message}", e);
        }
        var config = WithEnvironment(file, environment ?? Environment.GetEnvironmentVariable).WithFallback(file);
        foreach (var (section, known) in Keys) CheckKeys(config, section, known, source);
        var reader = new Reader(config, source);
        var tcp = "akka.remote.dot-netty.tcp";
        var tls = new TlsSettings
        {
            Enabled = reader.Bool($"{tcp}.enable-ssl", false),
            Certificate = reader.String($"{tcp}.ssl.certificate.path", ""),
            Password = reader.String($"{tcp}.ssl.certificate.password", ""),
            CaCertificate = reader.String("xaigrid.tls.ca-certificate", ""),
        };
        if (tls.Enabled && tls.Certificate.Length == 0)
            throw new InvalidDataException($"{source}: {tcp}.enable-ssl is on but no certificate is named: set {tcp}.ssl.certificate.path or {CertificateVariable}");
        var w = new WorkerSettings();
        var device = reader.String("xaigrid.worker.device", w.Device);
        try
        {
            device = Devices.Name(Devices.Parse(device));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: xaigrid.worker.device: {e.Message}", e);
        }
        var coordinatorAddress = reader.String("xaigrid.worker.coordinator", w.Coordinator);
        CoordinatorAddress(coordinatorAddress, source: source);
        var name = reader.String("xaigrid.worker.name", "");
        var c = new CoordinatorSettings();
        var a = new ArtifactSettings();
        var settings = new ClusterSettings
        {
            Config = config,
            Coordinator = new CoordinatorSettings
            {
                MaxDeliveries = reader.Int("xaigrid.coordinator.max-deliveries", c.MaxDeliveries, 1, 1000),
                RetryBackoff = reader.Duration("xaigrid.coordinator.retry-backoff", c.RetryBackoff),
                LongestCell = reader.Duration("xaigrid.coordinator.longest-cell", c.LongestCell),
            },
            Worker = new WorkerSettings
            {
                Coordinator = coordinatorAddress,
                Name = name.Length > 0 ? name : w.Name,
                Device = device,
                Threads = reader.Int("xaigrid.worker.threads", w.Threads, 0, 1024),
                ConcurrentCells = reader.Int("xaigrid.worker.concurrent-cells", w.ConcurrentCells, 1, 256),
                ArtifactCacheFolder = reader.String("xaigrid.worker.artifact-cache-folder", w.ArtifactCacheFolder),
                ArtifactCacheBytes = reader.Bytes("xaigrid.worker.artifact-cache-size", w.ArtifactCacheBytes, 0),
                ArtifactTimeout = reader.Duration("xaigrid.worker.artifact-timeout", w.ArtifactTimeout),
                RejoinDelay = reader.Duration("xaigrid.worker.rejoin-delay", w.RejoinDelay),
            },
            Artifacts = new ArtifactSettings
            {
                ChunkBytes = (int)reader.Bytes("xaigrid.artifacts.chunk-size", a.ChunkBytes, 1024, 64 << 20),
                InlineBytes = (int)reader.Bytes("xaigrid.artifacts.inline-limit", a.InlineBytes, 0, 64 << 20),
            },
            Tls = tls,
        };
        long frame = config.WithFallback(Hosting.ActorSystems.Reference).GetByteSize($"{tcp}.maximum-frame-size") ?? 128000;
        long needed = Math.Max(settings.Artifacts.ChunkBytes, settings.Artifacts.InlineBytes) + (64 << 10);
        if (frame < needed)
            throw new InvalidDataException($"{source}: {tcp}.maximum-frame-size ({frame} bytes) must exceed xaigrid.artifacts' chunk-size and " +
                $"inline-limit by 64 KiB of headers: at least {needed} bytes");
        return settings;
    }

    /// <summary>host:port of the coordinator, as the Akka address of its node (protocol akka.ssl.tcp with TLS).</summary>
    public static Akka.Actor.Address CoordinatorAddress(string hostPort, bool tls = false, string source = "xaigrid.worker.coordinator")
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new InvalidDataException($"{source}: the coordinator must be host:port, got '{hostPort}'");
        return new Akka.Actor.Address(tls ? "akka.ssl.tcp" : "akka.tcp", Hosting.ActorSystems.Name, hostPort[..colon].Trim('[', ']'), port);
    }

    private static Config WithEnvironment(Config file, Func<string, string?> environment)
    {
        var lines = new List<string>();
        void Set(string variable, string key)
        {
            if (environment(variable) is { Length: > 0 } value) lines.Add($"{key} = {Quote(value)}");
        }
        Set(HostnameVariable, "akka.remote.dot-netty.tcp.hostname");
        Set(PortVariable, "akka.remote.dot-netty.tcp.port");
        Set(PublicHostnameVariable, "akka.remote.dot-netty.tcp.public-hostname");
        Set(CoordinatorVariable, "xaigrid.worker.coordinator");
        Set(WorkerNameVariable, "xaigrid.worker.name");
        Set(CertificateVariable, "akka.remote.dot-netty.tcp.ssl.certificate.path");
        Set(PasswordVariable, "akka.remote.dot-netty.tcp.ssl.certificate.password");
        Set(CaVariable, "xaigrid.tls.ca-certificate");
        if (environment(CertificateVariable) is { Length: > 0 }) lines.Add("akka.remote.dot-netty.tcp.enable-ssl = on");
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static void CheckKeys(Config config, string section, string[] known, string source)
    {
        if (!config.HasPath(section)) return;
        var value = config.GetValue(section);
        if (!value.IsObject()) throw new InvalidDataException($"{source}: '{section}' must be an object {{ key = value }}");
        foreach (var key in value.GetObject().Items.Keys)
            if (!known.Contains(key))
                throw new InvalidDataException($"{source}: unknown key '{section}.{key}'; known keys there: {string.Join(", ", known)}");
    }

    /// <summary>Typed reads that name the file and the key when a value is wrong.</summary>
    private sealed class Reader(Config config, string source)
    {
        private T Read<T>(string key, T fallback, Func<T> read)
        {
            if (!config.HasPath(key)) return fallback;
            try
            {
                return read();
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or ConfigurationException or InvalidCastException
                                          or NullReferenceException)
            {
                throw new InvalidDataException($"{source}: {key}: '{config.GetString(key, "")}' is not a valid value ({e.Message})", e);
            }
        }

        public string String(string key, string fallback) => Read(key, fallback, () => config.GetString(key, fallback) ?? fallback);

        public bool Bool(string key, bool fallback) => Read(key, fallback, () => config.GetBoolean(key, fallback));

        public int Int(string key, int fallback, int min, int max)
        {
            var value = Read(key, fallback, () => config.GetInt(key, fallback));
            return value >= min && value <= max ? value : throw new InvalidDataException($"{source}: {key} must be between {min} and {max}, got {value}");
        }

        public long Bytes(string key, long fallback, long min, long max = long.MaxValue)
        {
            var value = Read(key, fallback, () => config.GetByteSize(key) ?? fallback);
            return value >= min && value <= max ? value : throw new InvalidDataException($"{source}: {key} must be between {min} and {max} bytes, got {value}");
        }

        public TimeSpan Duration(string key, TimeSpan fallback)
        {
            var value = Read(key, fallback, () => config.GetTimeSpan(key, fallback, allowInfinite: true));
            return value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan ? value
                : throw new InvalidDataException($"{source}: {key} must be a positive duration (e.g. 30s, 2h), got {value}");
        }
    }
}
