using XaiGrid.TorchExtras;
using System.Text.RegularExpressions;
using XaiGrid.Models.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Reads <see cref="ClusterSettings"/> from a YAML file (cluster-config/coordinator.yaml, worker.yaml): sections
/// broker, queues, coordinator, worker, all optional, unknown keys refused with their line and column. Then the
/// environment overrides the broker: <c>XAIGRID_RABBITMQ_URL</c> (amqp://user:password@host:port/vhost) replaces
/// the whole broker address, <c>XAIGRID_RABBITMQ_USER</c> and <c>XAIGRID_RABBITMQ_PASSWORD</c> the credentials, so
/// secrets need not sit in a file.
/// </summary>
public static partial class ClusterSettingsLoader
{
    public const string UrlVariable = "XAIGRID_RABBITMQ_URL", UserVariable = "XAIGRID_RABBITMQ_USER", PasswordVariable = "XAIGRID_RABBITMQ_PASSWORD";

    /// <param name="environment">Reads an environment variable; the process environment when null.</param>
    public static ClusterSettings Load(string path, Func<string, string?>? environment = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"cluster settings file not found: {path}", path);
        return Parse(File.ReadAllText(path), path, environment);
    }

    public static ClusterSettings Parse(string yaml, string source, Func<string, string?>? environment = null)
    {
        var settings = ReadFile(yaml, new NodeReader(source));
        return WithEnvironment(settings, source, environment ?? Environment.GetEnvironmentVariable);
    }

    private static ClusterSettings ReadFile(string yaml, NodeReader reader)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new YamlFileException(reader.Source, e.Start.Line, e.Start.Column, e.Message);
        }
        var settings = new ClusterSettings();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" }) return settings;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw reader.Error(stream.Documents[0].RootNode, "cluster settings must be a mapping with sections broker, queues, coordinator, worker");
        reader.OnlyKeys(root, "broker", "queues", "coordinator", "worker");
        if (Section(reader, root, "broker") is { } broker) settings = settings with { Broker = ReadBroker(reader, broker) };
        if (Section(reader, root, "queues") is { } queues) settings = settings with { Queues = ReadQueues(reader, queues) };
        if (Section(reader, root, "coordinator") is { } coordinator) settings = settings with { Coordinator = ReadCoordinator(reader, coordinator) };
        if (Section(reader, root, "worker") is { } worker) settings = settings with { Worker = ReadWorker(reader, worker) };
        return settings;
    }

    private static YamlMappingNode? Section(NodeReader reader, YamlMappingNode root, string name) => reader.Optional(root, name) switch
    {
        null => null,
        YamlMappingNode mapping => mapping,
        YamlScalarNode { Value: null or "" } => null,
        var other => throw reader.Error(other, $"'{name}' must be a mapping (key: value lines)"),
    };

    private static BrokerSettings ReadBroker(NodeReader r, YamlMappingNode node)
    {
        r.OnlyKeys(node, "host", "port", "vhost", "user", "password", "heartbeat_seconds");
        var b = new BrokerSettings();
        return b with
        {
            Host = r.OptionalString(node, "host") ?? b.Host,
            Port = Int(r, node, "port", 1, 65535) ?? b.Port,
            VirtualHost = r.OptionalString(node, "vhost") ?? b.VirtualHost,
            User = r.OptionalString(node, "user"),
            Password = r.OptionalString(node, "password"),
            HeartbeatSeconds = Int(r, node, "heartbeat_seconds", 0, 3600) ?? b.HeartbeatSeconds,
        };
    }

    private static QueueSettings ReadQueues(NodeReader r, YamlMappingNode node)
    {
        r.OnlyKeys(node, "prefix", "max_deliveries", "consumer_timeout_minutes", "max_message_mb");
        var q = new QueueSettings();
        var prefix = q.Prefix;
        if (r.Optional(node, "prefix") is { } prefixNode)
        {
            prefix = r.String(prefixNode, "prefix");
            if (!PrefixPattern().IsMatch(prefix))
                throw r.Error(prefixNode, $"prefix '{prefix}' must be 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        var minutes = Int(r, node, "consumer_timeout_minutes", 1, 35791);
        var megabytes = Int(r, node, "max_message_mb", 1, 512);
        return q with
        {
            Prefix = prefix,
            MaxDeliveries = Int(r, node, "max_deliveries", 1, 1000) ?? q.MaxDeliveries,
            ConsumerTimeout = minutes is { } m ? TimeSpan.FromMinutes(m) : q.ConsumerTimeout,
            MaxMessageBytes = megabytes is { } mb ? mb << 20 : q.MaxMessageBytes,
        };
    }

    private static CoordinatorSettings ReadCoordinator(NodeReader r, YamlMappingNode node)
    {
        r.OnlyKeys(node, "max_in_flight");
        var c = new CoordinatorSettings();
        return c with { MaxInFlight = Int(r, node, "max_in_flight", 1, 1_000_000) ?? c.MaxInFlight };
    }

    private static WorkerSettings ReadWorker(NodeReader r, YamlMappingNode node)
    {
        r.OnlyKeys(node, "name", "device", "threads", "concurrent_cells", "prefetch", "artifact_cache_mb", "artifact_timeout_seconds");
        var w = new WorkerSettings();
        var device = w.Device;
        if (r.Optional(node, "device") is { } deviceNode)
        {
            device = r.String(deviceNode, "device");
            try
            {
                device = Devices.Name(Devices.Parse(device));
            }
            catch (ArgumentException e)
            {
                throw r.Error(deviceNode, e.Message);
            }
        }
        var concurrent = Int(r, node, "concurrent_cells", 1, 256) ?? w.ConcurrentCells;
        var prefetch = w.Prefetch;
        if (r.Optional(node, "prefetch") is { } prefetchNode)
        {
            prefetch = Int(r, node, "prefetch", 1, 65535)!.Value;
            if (prefetch < concurrent)
                throw r.Error(prefetchNode, $"prefetch {prefetch} is less than concurrent_cells {concurrent}: some cells could never start");
        }
        var cache = Int(r, node, "artifact_cache_mb", 0, 1 << 20);
        var timeout = Int(r, node, "artifact_timeout_seconds", 1, 86400);
        return w with
        {
            Name = r.OptionalString(node, "name") ?? w.Name,
            Device = device,
            Threads = Int(r, node, "threads", 0, 1024) ?? w.Threads,
            ConcurrentCells = concurrent,
            Prefetch = Math.Max(prefetch, concurrent),
            ArtifactCacheBytes = cache is { } mb ? (long)mb << 20 : w.ArtifactCacheBytes,
            ArtifactTimeout = timeout is { } s ? TimeSpan.FromSeconds(s) : w.ArtifactTimeout,
        };
    }

    private static int? Int(NodeReader r, YamlMappingNode node, string key, int min, int max)
    {
        if (r.Optional(node, key) is not { } value) return null;
        var v = r.Long(value, key);
        if (v < min || v > max) throw r.Error(value, $"{key} must be between {min} and {max}, got {v}");
        return (int)v;
    }

    private static ClusterSettings WithEnvironment(ClusterSettings settings, string source, Func<string, string?> environment)
    {
        var broker = settings.Broker;
        if (NonEmpty(environment(UrlVariable)) is { } url) broker = FromUrl(url, broker);
        if (NonEmpty(environment(UserVariable)) is { } user) broker = broker with { User = user };
        if (NonEmpty(environment(PasswordVariable)) is { } password) broker = broker with { Password = password };
        if (broker.User is null || broker.Password is null)
            throw new InvalidDataException($"{source}: no broker credentials: set broker.user and broker.password there, or the environment " +
                $"variables {UserVariable} and {PasswordVariable} (or {UrlVariable}=amqp://user:password@host:port/vhost)");
        return settings with { Broker = broker };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>amqp://user:password@host:port/vhost; a missing port is 5672, a missing or "/" path the vhost "/".</summary>
    private static BrokerSettings FromUrl(string url, BrokerSettings broker)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "amqp")
            throw new InvalidDataException($"{UrlVariable} must look like amqp://user:password@host:port/vhost, got '{Redact(url)}'");
        var path = uri.AbsolutePath.TrimStart('/');
        var credentials = uri.UserInfo.Split(':', 2);
        return broker with
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5672 : uri.Port,
            VirtualHost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path),
            User = credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : null,
            Password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : null,
        };
    }

    /// <summary>A URL as it may appear in an error message: without its password.</summary>
    private static string Redact(string url) => RedactPattern().Replace(url, "$1:***@");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("(//[^:/@]*):[^@/]*@")]
    private static partial Regex RedactPattern();
}
