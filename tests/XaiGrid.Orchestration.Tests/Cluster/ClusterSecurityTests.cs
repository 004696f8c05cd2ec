using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Tests.Runs;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// What a cluster lets in, with real processes on loopback. With TLS on, a worker that has the cluster's certificate
/// joins and runs the experiment; one with a certificate of its own, and one without TLS, never get in. A node that
/// sends the coordinator a message naming a type outside XaiGrid's messages, through XaiGrid's serializer or Akka's
/// JSON one, has it refused, and the coordinator goes on.
/// </summary>
[Collection(RunsCollection.Name)]
public sealed class ClusterSecurityTests
{
    /// <summary>A self-signed certificate for client and server authentication, as PKCS#12 with a password.</summary>
    private static string Certificate(string folder, string name, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(folder, $"{name}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    [Fact]
    public async Task With_tls_on_only_a_node_with_the_clusters_certificate_joins()
    {
        using var folder = new TempFolder();
        using var cluster = new ProcessCluster(folder.Path);
        var experiment = TinyExperiment.Write(folder.Path);
        var plan = ExperimentRunner.Plan(experiment);
        var db = folder.File("tls.db");
        const string password = "cluster secret";
        var clusterCertificate = Certificate(folder.Path, "xaigrid-cluster", password);
        var intruderCertificate = Certificate(folder.Path, "intruder", "intruder secret");
        Dictionary<string, string> Tls(string certificate, string secret) => new()
        {
            ["XAIGRID_TLS_CERTIFICATE"] = certificate,
            ["XAIGRID_TLS_PASSWORD"] = secret,
        };

        var coordinator = cluster.Coordinator(experiment, db, "coordinator", environment: Tls(clusterCertificate, password));
        var intruder = cluster.Worker("intruder", environment: Tls(intruderCertificate, "intruder secret"));
        var plain = cluster.Worker("plain");
        // Both try for a while before the member arrives; neither gets in.
        await cluster.Until(() => ProcessCluster.Printed(coordinator, "TLS: refused"), "the coordinator to refuse the intruder's certificate");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var member = cluster.Worker("member", environment: Tls(clusterCertificate, password));

        await cluster.AssertExit(coordinator, 0);
        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), Runs.Runs.Counts(db));
        Assert.All(Runs.Runs.Cells(db), c => Assert.Equal("member", c.Worker));
        Assert.True(ProcessCluster.Printed(coordinator, "mutual TLS"), cluster.Transcript());
        Assert.True(ProcessCluster.Printed(member, "registered with the coordinator"), cluster.Transcript());
        foreach (var outsider in new[] { intruder, plain })
        {
            Assert.False(ProcessCluster.Printed(outsider, "registered with the coordinator"), cluster.Transcript());
            Assert.Empty(outsider.Started);
        }
        Assert.Contains(coordinator.Lines, l => l.Contains("TLS: refused") && l.Contains("CN=intruder") && l.Contains("is not the cluster's"));
        foreach (var w in new[] { intruder, plain, member }) w.Terminate();
        foreach (var w in new[] { intruder, plain, member }) await cluster.AssertExit(w, 0);
    }

    /// <summary>A message of the test's own, which the rogue node sends through XaiGrid's serializer identifier and manifest scheme.</summary>
    public sealed record Rogue(string Command);

    /// <summary>What a hostile peer could put on the wire: XaiGrid's serializer identifier with a manifest naming any type.</summary>
    public sealed class RogueSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
    {
        public override int Identifier => Wire.WireSerializer.Id;

        public override string Manifest(object o) => "System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process";

        public override byte[] ToBinary(object obj) => """{"FileName":"/bin/sh","Arguments":"-c 'touch /tmp/pwned'"}"""u8.ToArray();

        public override object FromBinary(byte[] bytes, string manifest) => throw new SerializationException("rogue");
    }

    [Fact]
    public async Task A_message_naming_a_type_outside_xaigrids_messages_is_refused_and_the_coordinator_goes_on()
    {
        using var folder = new TempFolder();
        using var cluster = new ProcessCluster(folder.Path);
        var experiment = TinyExperiment.Write(folder.Path);
        var plan = ExperimentRunner.Plan(experiment);
        var db = folder.File("rogue.db");
        var coordinator = cluster.Coordinator(experiment, db, "coordinator");
        await cluster.Until(() => ProcessCluster.Printed(coordinator, "coordinator: listening at"), "the coordinator to listen");

        // A plain Akka.Remote node, with Akka's defaults (Newtonsoft JSON for anything unbound, type names on the wire)
        // and the rogue serializer.
        var rogue = ActorSystem.Create("xaigrid", ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.actor.serializers.rogue = "{{typeof(RogueSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(Rogue).AssemblyQualifiedName}}" = rogue }
            akka.actor.serialization-identifiers { "{{typeof(RogueSerializer).AssemblyQualifiedName}}" = {{Wire.WireSerializer.Id}} }
            """));
        try
        {
            var target = rogue.ActorSelection($"akka.tcp://xaigrid@127.0.0.1:{cluster.Port}/user/run/coordinator");
            target.Tell(new Rogue("touch /tmp/pwned"));
            target.Tell(new System.Collections.Generic.KeyValuePair<string, string>("type", "System.IO.FileInfo"));
            await cluster.Until(() => ProcessCluster.Printed(coordinator, "refused a message with manifest 'System.Diagnostics.ProcessStartInfo")
                                      && ProcessCluster.Printed(coordinator, "refused a message in Akka's JSON format"),
                "the coordinator to refuse both messages");
        }
        finally
        {
            await rogue.Terminate();
        }

        // Unshaken: a worker joins, and the run completes.
        var worker = cluster.Worker("one");
        await cluster.AssertExit(coordinator, 0);
        Assert.Equal(new CellCounts(0, 0, plan.Cells.Count, 0), Runs.Runs.Counts(db));
        worker.Terminate();
        await cluster.AssertExit(worker, 0);
    }
}
