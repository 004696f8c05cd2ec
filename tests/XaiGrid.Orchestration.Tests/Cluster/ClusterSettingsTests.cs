using XaiGrid.Models.Yaml;
using XaiGrid.Orchestration.Cluster;

namespace XaiGrid.Orchestration.Tests.Cluster;

public sealed class ClusterSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static readonly Func<string, string?> Credentials = Env(("XAIGRID_RABBITMQ_USER", "u"), ("XAIGRID_RABBITMQ_PASSWORD", "p"));

    [Fact]
    public void The_shipped_examples_load_and_hold_the_documented_defaults()
    {
        var root = TestSupport.RepositoryRoot();
        var coordinator = ClusterSettingsLoader.Load(Path.Combine(root, "cluster-config/coordinator.yaml"), Credentials);
        var worker = ClusterSettingsLoader.Load(Path.Combine(root, "cluster-config/worker.yaml"), Credentials);

        Assert.Equal(new ClusterSettings().Broker with { User = "u", Password = "p" }, coordinator.Broker);
        Assert.Equal(new ClusterSettings().Queues, coordinator.Queues);
        Assert.Equal(coordinator.Queues, worker.Queues);
        Assert.Equal(256, coordinator.Coordinator.MaxInFlight);
        Assert.Equal(new WorkerSettings() with { Name = worker.Worker.Name }, worker.Worker);
        Assert.Equal(TimeSpan.FromHours(2), worker.Queues.ConsumerTimeout);
        Assert.Equal(64 << 20, worker.Queues.MaxMessageBytes);
    }

    [Fact]
    public void Every_key_is_read_with_its_unit()
    {
        var settings = ClusterSettingsLoader.Parse("""
            broker:
              host: rabbit.lan
              port: 5999
              vhost: xai
              user: alice
              password: s3cret
              heartbeat_seconds: 10
            queues:
              prefix: lab-7
              max_deliveries: 5
              consumer_timeout_minutes: 600
              max_message_mb: 16
            coordinator:
              max_in_flight: 32
            worker:
              name: gpu-1
              device: CUDA:1
              threads: 8
              concurrent_cells: 2
              prefetch: 3
              artifact_cache_mb: 10
              artifact_timeout_seconds: 90
            """, "all.yaml", Env());

        Assert.Equal(new BrokerSettings { Host = "rabbit.lan", Port = 5999, VirtualHost = "xai", User = "alice", Password = "s3cret", HeartbeatSeconds = 10 },
            settings.Broker);
        Assert.Equal(new QueueSettings { Prefix = "lab-7", MaxDeliveries = 5, ConsumerTimeout = TimeSpan.FromHours(10), MaxMessageBytes = 16 * 1024 * 1024 },
            settings.Queues);
        Assert.Equal(32, settings.Coordinator.MaxInFlight);
        Assert.Equal(new WorkerSettings { Name = "gpu-1", Device = "cuda:1", Threads = 8, ConcurrentCells = 2, Prefetch = 3,
            ArtifactCacheBytes = 10L * 1024 * 1024, ArtifactTimeout = TimeSpan.FromSeconds(90) }, settings.Worker);
    }

    [Theory]
    [InlineData("broker:\n  host: h\n  hots: x\n", 3, 3, "unknown key 'hots'; allowed here: host, port, vhost, user, password, heartbeat_seconds")]
    [InlineData("queue:\n  prefix: x\n", 1, 1, "unknown key 'queue'; allowed here: broker, queues, coordinator, worker")]
    [InlineData("broker:\n  port: 70000\n", 2, 9, "port must be between 1 and 65535, got 70000")]
    [InlineData("queues:\n  prefix: 'a b'\n", 2, 11, "prefix 'a b' must be 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    [InlineData("worker:\n  device: tpu\n", 2, 11, "unknown device 'tpu': expected cpu, cuda or cuda:N")]
    [InlineData("worker:\n  device: cuda:x\n", 2, 11, "unknown device 'cuda:x': expected cpu, cuda or cuda:N")]
    [InlineData("worker:\n  concurrent_cells: 4\n  prefetch: 2\n", 3, 13, "prefetch 2 is less than concurrent_cells 4: some cells could never start")]
    [InlineData("worker:\n  threads: many\n", 2, 12, "threads must be a whole number, got 'many'")]
    [InlineData("broker: [a, b]\n", 1, 9, "'broker' must be a mapping (key: value lines)")]
    public void Bad_files_are_refused_naming_line_column_and_problem(string yaml, int line, int column, string message)
    {
        var e = Assert.Throws<YamlFileException>(() => ClusterSettingsLoader.Parse(yaml, "bad.yaml", Credentials));
        Assert.Equal("bad.yaml", e.FilePath);
        Assert.Equal(message, e.Detail);
        Assert.Equal((line, column), ((int)e.Line, (int)e.Column));
    }

    [Fact]
    public void The_environment_overrides_the_file_and_the_url_names_the_whole_broker()
    {
        const string file = "broker:\n  host: filehost\n  user: fileuser\n  password: filepass\n";

        var fromFile = ClusterSettingsLoader.Parse(file, "c.yaml", Env());
        Assert.Equal(("filehost", 5672, "/", "fileuser", "filepass"), Broker(fromFile));

        var fromUrl = ClusterSettingsLoader.Parse(file, "c.yaml", Env(("XAIGRID_RABBITMQ_URL", "amqp://bob:p%40ss@rabbit:5673/lab%2F1")));
        Assert.Equal(("rabbit", 5673, "lab/1", "bob", "p@ss"), Broker(fromUrl));

        var defaultVhost = ClusterSettingsLoader.Parse(file, "c.yaml", Env(("XAIGRID_RABBITMQ_URL", "amqp://bob:x@rabbit/")));
        Assert.Equal(("rabbit", 5672, "/", "bob", "x"), Broker(defaultVhost));

        var both = ClusterSettingsLoader.Parse(file, "c.yaml", Env(("XAIGRID_RABBITMQ_URL", "amqp://bob:x@rabbit:1/v"),
            ("XAIGRID_RABBITMQ_USER", "carol"), ("XAIGRID_RABBITMQ_PASSWORD", "y")));
        Assert.Equal(("rabbit", 1, "v", "carol", "y"), Broker(both));

        // As docker-compose.yml does it: the address in the URL, the secrets in their own variables.
        var split = ClusterSettingsLoader.Parse("", "c.yaml", Env(("XAIGRID_RABBITMQ_URL", "amqp://rabbitmq:5672/"),
            ("XAIGRID_RABBITMQ_USER", "carol"), ("XAIGRID_RABBITMQ_PASSWORD", "y")));
        Assert.Equal(("rabbitmq", 5672, "/", "carol", "y"), Broker(split));
    }

    private static (string, int, string, string?, string?) Broker(ClusterSettings s) =>
        (s.Broker.Host, s.Broker.Port, s.Broker.VirtualHost, s.Broker.User, s.Broker.Password);

    [Fact]
    public void Missing_credentials_and_bad_urls_are_refused_without_showing_the_password()
    {
        var none = Assert.Throws<InvalidDataException>(() => ClusterSettingsLoader.Parse("broker:\n  user: u\n", "w.yaml", Env()));
        Assert.StartsWith("w.yaml: no broker credentials: set broker.user and broker.password there", none.Message);

        var bad = Assert.Throws<InvalidDataException>(() => ClusterSettingsLoader.Parse("", "w.yaml",
            Env(("XAIGRID_RABBITMQ_URL", "http://bob:hunter2@rabbit/"))));
        Assert.Equal("XAIGRID_RABBITMQ_URL must look like amqp://user:password@host:port/vhost, got 'http://bob:***@rabbit/'", bad.Message);
    }
}
