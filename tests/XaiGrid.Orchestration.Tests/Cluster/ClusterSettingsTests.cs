using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Hosting;

namespace XaiGrid.Orchestration.Tests.Cluster;

public sealed class ClusterSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_shipped_files_load_and_hold_the_documented_defaults()
    {
        var root = TestSupport.RepositoryRoot();
        var coordinator = ClusterSettingsLoader.Load(Path.Combine(root, "cluster-config/coordinator.conf"), Env());
        var worker = ClusterSettingsLoader.Load(Path.Combine(root, "cluster-config/worker.conf"), Env());

        Assert.Equal(new CoordinatorSettings(), coordinator.Coordinator);
        Assert.Equal(("127.0.0.1", 4053), (coordinator.Hostname, coordinator.Port));
        Assert.Equal(new WorkerSettings() with { Name = worker.Worker.Name }, worker.Worker);
        Assert.Equal(("127.0.0.1", 0), (worker.Hostname, worker.Port));
        Assert.Equal(new ArtifactSettings(), coordinator.Artifacts);
        Assert.Equal(coordinator.Artifacts, worker.Artifacts);
        Assert.Equal(new TlsSettings(), coordinator.Tls);
        // The timeouts the files document, as Akka reads them, the same on both sides.
        foreach (var settings in new[] { coordinator, worker })
        {
            Assert.Equal(TimeSpan.FromSeconds(10), settings.Config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
            Assert.Equal(TimeSpan.FromSeconds(20), settings.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        }
    }

    [Fact]
    public void Every_key_is_read_with_its_unit()
    {
        var settings = ClusterSettingsLoader.Parse("""
            xaigrid {
              coordinator { max-deliveries = 5, retry-backoff = 250ms, longest-cell = 3h }
              worker {
                coordinator = "coord.lan:4100", name = gpu-1, device = "CUDA:1", threads = 8, concurrent-cells = 2
                artifact-cache-folder = /var/cache/xg, artifact-cache-size = 10MiB, artifact-timeout = 90s, rejoin-delay = 5s
              }
              artifacts { chunk-size = 128KiB, inline-limit = 64KiB }
              tls.ca-certificate = /etc/xg/ca.pem
            }
            akka.remote.dot-netty.tcp { hostname = 10.0.0.7, port = 4101, enable-ssl = on, ssl.certificate { path = /etc/xg/node.pfx, password = pw } }
            """, "all.conf", Env());

        Assert.Equal(new CoordinatorSettings { MaxDeliveries = 5, RetryBackoff = TimeSpan.FromMilliseconds(250), LongestCell = TimeSpan.FromHours(3) },
            settings.Coordinator);
        Assert.Equal(new WorkerSettings
        {
            Coordinator = "coord.lan:4100", Name = "gpu-1", Device = "cuda:1", Threads = 8, ConcurrentCells = 2, ArtifactCacheFolder = "/var/cache/xg",
            ArtifactCacheBytes = 10L << 20, ArtifactTimeout = TimeSpan.FromSeconds(90), RejoinDelay = TimeSpan.FromSeconds(5),
        }, settings.Worker);
        Assert.Equal(new ArtifactSettings { ChunkBytes = 128 << 10, InlineBytes = 64 << 10 }, settings.Artifacts);
        Assert.Equal(new TlsSettings { Enabled = true, Certificate = "/etc/xg/node.pfx", Password = "pw", CaCertificate = "/etc/xg/ca.pem" }, settings.Tls);
        Assert.Equal(("10.0.0.7", 4101), (settings.Hostname, settings.Port));
        Assert.Equal(new Akka.Actor.Address("akka.tcp", ActorSystems.Name, "coord.lan", 4100), ClusterSettingsLoader.CoordinatorAddress(settings.Worker.Coordinator));
    }

    [Theory]
    [InlineData("xaigrid.worker { nmae = x }", "bad.conf: unknown key 'xaigrid.worker.nmae'; known keys there: coordinator, name, device,")]
    [InlineData("xaigrid.broker.host = h", "bad.conf: unknown key 'xaigrid.broker'; known keys there: coordinator, worker, artifacts, tls")]
    [InlineData("xaigrid.coordinator.max-deliveries = 0", "bad.conf: xaigrid.coordinator.max-deliveries must be between 1 and 1000, got 0")]
    [InlineData("xaigrid.worker.threads = many", "bad.conf: xaigrid.worker.threads: 'many' is not a valid value")]
    [InlineData("xaigrid.worker.device = tpu", "bad.conf: xaigrid.worker.device: unknown device 'tpu': expected cpu, cuda or cuda:N")]
    [InlineData("xaigrid.worker.coordinator = nowhere", "bad.conf: the coordinator must be host:port, got 'nowhere'")]
    [InlineData("xaigrid.coordinator.longest-cell = 0s", "bad.conf: xaigrid.coordinator.longest-cell must be a positive duration")]
    [InlineData("akka.remote.dot-netty.tcp.enable-ssl = on", "bad.conf: akka.remote.dot-netty.tcp.enable-ssl is on but no certificate is named")]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 128000b", "bad.conf: akka.remote.dot-netty.tcp.maximum-frame-size (128000 bytes) must exceed")]
    public void Bad_files_are_refused_naming_the_file_the_key_and_the_problem(string hocon, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterSettingsLoader.Parse(hocon, "bad.conf", Env()));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void The_environment_goes_on_top_of_the_file_and_a_certificate_turns_tls_on()
    {
        var settings = ClusterSettingsLoader.Parse("""
            xaigrid.worker { coordinator = "127.0.0.1:4053", name = file }
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            """, "env.conf", Env(("XAIGRID_COORDINATOR", "coordinator:4053"), ("XAIGRID_WORKER_NAME", "w-7"), ("XAIGRID_HOSTNAME", "0.0.0.0"),
            ("XAIGRID_PORT", "4200"), ("XAIGRID_PUBLIC_HOSTNAME", "worker-7"), ("XAIGRID_TLS_CERTIFICATE", "/run/secrets/cluster.pfx"),
            ("XAIGRID_TLS_PASSWORD", "s3cret \"quoted\"")));

        Assert.Equal(("coordinator:4053", "w-7"), (settings.Worker.Coordinator, settings.Worker.Name));
        Assert.Equal(("0.0.0.0", 4200), (settings.Hostname, settings.Port));
        Assert.Equal("worker-7", settings.Config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(new TlsSettings { Enabled = true, Certificate = "/run/secrets/cluster.pfx", Password = "s3cret \"quoted\"" }, settings.Tls);
    }
}
