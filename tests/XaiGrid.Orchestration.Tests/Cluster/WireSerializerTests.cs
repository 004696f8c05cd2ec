using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Akka.Streams;
using Akka.Streams.Dsl;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Hosting;
using XaiGrid.Orchestration.Messages;
using XaiGrid.Orchestration.Wire;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

/// <summary>
/// The messages between nodes through the serializers a cluster node has (Hosting/xaigrid.conf): each of XaiGrid's
/// records survives its round trip, and nothing else is written or read, whatever type a message names.
/// </summary>
public sealed class WireSerializerTests : IDisposable
{
    private readonly ActorSystem system = ActorSystems.Create(Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = remote"));

    public void Dispose() => system.Terminate().Wait(TimeSpan.FromSeconds(30));

    private Akka.Serialization.Serialization Serialization => system.Serialization;

    /// <summary>Through the serializer Akka picks for the object, by its identifier and manifest, as remoting does.</summary>
    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Serialization.FindSerializerFor(message);
        Assert.Equal(WireSerializer.Id, serializer.Identifier);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return Assert.IsType<T>(Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
    }

    private static string Key(string text) => ContentHash.Of(text);

    [Fact]
    public void Every_message_type_has_a_manifest()
    {
        var types = typeof(IWireMessage).Assembly.GetTypes().Where(t => t.IsClass && typeof(IWireMessage).IsAssignableFrom(t)).ToList();
        Assert.Equal(types.OrderBy(t => t.Name), WireSerializer.KnownManifests.Keys.OrderBy(t => t.Name));
    }

    [Fact]
    public void A_cell_survives_with_nan_scalars_tables_and_artifact_hashes()
    {
        var results = new CellResults
        {
            Scalars = new Dictionary<string, double> { ["accuracy"] = double.NaN, ["loss"] = 0.25 },
            Tables = new Dictionary<string, string> { ["history"] = "[1,2]" },
            Artifacts = new Dictionary<string, string> { ["weights"] = Key("weights") },
        };
        var run = new RunCell(new WorkItem(Key("cell"), "explain-partial", """{"method":"rise"}""", [new DependencyResult(Key("train"), "train", results)], "x"), 2);

        var back = RoundTrip(run);

        Assert.Equal((run.Item.Key, run.Item.Kind, run.Item.Parameters, run.Item.Label, 2), (back.Item.Key, back.Item.Kind, back.Item.Parameters, back.Item.Label, back.Attempt));
        var dependency = Assert.Single(back.Item.Dependencies);
        Assert.Equal((Key("train"), "train"), (dependency.Key, dependency.Kind));
        Assert.True(double.IsNaN(dependency.Results.Scalars["accuracy"]));
        Assert.Equal(0.25, dependency.Results.Scalars["loss"]);
        Assert.Equal(results.Tables, dependency.Results.Tables);
        Assert.Equal(results.Artifacts, dependency.Results.Artifacts);
    }

    [Fact]
    public void The_small_messages_survive()
    {
        Assert.Equal(new RegisterWorker("w", 2), RoundTrip(new RegisterWorker("w", 2)));
        Assert.Equal(new WorkerRegistered("tiny", "/user/run/artifacts"), RoundTrip(new WorkerRegistered("tiny", "/user/run/artifacts")));
        Assert.Equal(new WorkerLeaving("w"), RoundTrip(new WorkerLeaving("w")));
        Assert.Equal(new RequestCell("w/1"), RoundTrip(new RequestCell("w/1")));
        Assert.Equal(new CellFailed(Key("c"), "w", "IOException: gone"), RoundTrip(new CellFailed(Key("c"), "w", "IOException: gone")));
        Assert.Equal(new FetchArtifact(Key("a")), RoundTrip(new FetchArtifact(Key("a"))));
        Assert.Equal(new ArtifactUnavailable(Key("a"), "no"), RoundTrip(new ArtifactUnavailable(Key("a"), "no")));
    }

    [Fact]
    public void Bytes_travel_raw_and_whole()
    {
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(bytes, RoundTrip(new ArtifactChunk(bytes)).Bytes);
        // A chunk is its bytes, nothing more.
        Assert.Equal(bytes.Length, Serialization.FindSerializerFor(new ArtifactChunk(bytes)).ToBinary(new ArtifactChunk(bytes)).Length);
        var inline = RoundTrip(new ArtifactInline(Key("x"), ArtifactBytes.Npy, bytes));
        Assert.Equal((Key("x"), ArtifactBytes.Npy), (inline.Hash, inline.MediaType));
        Assert.Equal(bytes, inline.Bytes);

        var completed = new CellCompleted(Key("c"), "w", new Dictionary<string, double> { ["nan"] = double.NaN, ["x"] = 2 },
            new Dictionary<string, string> { ["t"] = "{}" },
            [new ResultArtifact("a", ArtifactBytes.Npy, 3, Key("a"), [1, 2, 3]), new ResultArtifact("empty", ArtifactBytes.Npy, 0, null, []),
             new ResultArtifact("b", ArtifactBytes.SafeTensors, bytes.Length, Key("b"), bytes)], null);
        var back = RoundTrip(completed);
        Assert.Equal((completed.Key, completed.Worker), (back.Key, back.Worker));
        Assert.True(double.IsNaN(back.Scalars["nan"]));
        Assert.Equal(completed.Tables, back.Tables);
        Assert.Equal(completed.Artifacts.Select(a => (a.Name, a.MediaType, a.Length, a.Hash)), back.Artifacts.Select(a => (a.Name, a.MediaType, a.Length, a.Hash)));
        Assert.Equal(completed.Artifacts.Select(a => a.Bytes), back.Artifacts.Select(a => a.Bytes));
        Assert.Null(back.Upload);
    }

    [Fact]
    public void A_stream_ref_travels_as_the_path_of_its_origin_and_comes_back_a_source_of_chunks()
    {
        var materializer = system.Materializer();
        var source = Source.From([new ArtifactChunk([1, 2]), new ArtifactChunk([3])]).RunWith(StreamRefs.SourceRef<ArtifactChunk>(), materializer).Result;
        var offer = RoundTrip(new ArtifactStream(Key("a"), ArtifactBytes.Npy, 3, source));
        Assert.Equal((Key("a"), 3L), (offer.Hash, offer.Length));
        var chunks = offer.Source.Source.RunWith(Sink.Seq<ArtifactChunk>(), materializer).Result;
        Assert.Equal(new byte[] { 1, 2, 3 }, chunks.SelectMany(c => c.Bytes));
    }

    [Theory]
    [InlineData("System.Diagnostics.Process, System.Diagnostics.Process")]
    [InlineData("XaiGrid.Orchestration.Execution.CellExecutor, XaiGrid.Orchestration")]
    [InlineData("RunCell")]
    public void A_manifest_naming_any_other_type_is_refused(string manifest)
    {
        var e = Assert.Throws<SerializationException>(() => Serialization.Deserialize(Encoding.UTF8.GetBytes("{}"), WireSerializer.Id, manifest));
        Assert.Contains($"refused a message with manifest '{manifest}': not one of XaiGrid's wire messages", e.Message);
    }

    [Fact]
    public void Akkas_default_serializer_is_replaced_by_one_that_refuses_everything()
    {
        // Newtonsoft JSON (identifier 1) would instantiate the type named here, $type included.
        var json = Encoding.UTF8.GetBytes("""{"$type":"System.IO.FileInfo, System.IO.FileSystem","fileName":"/etc/passwd"}""");
        var e = Assert.Throws<SerializationException>(() => Serialization.Deserialize(json, 1, "System.IO.FileInfo, System.IO.FileSystem"));
        Assert.Contains("refused a message naming type 'System.IO.FileInfo, System.IO.FileSystem'", e.Message);
        // And nothing of another type is sent: it has no serializer but the refusing one.
        var serializer = Serialization.FindSerializerFor(new FileInfo("/tmp/x"));
        Assert.IsType<RefusingSerializer>(serializer);
        Assert.Throws<SerializationException>(() => serializer.ToBinary(new FileInfo("/tmp/x")));
    }

    [Theory]
    [InlineData("run", "{\"item\": null, \"attempt\": 1}")]
    [InlineData("request", "{}")]
    [InlineData("completed", "\u0002\0\0\0{}")]
    [InlineData("completed", "\u00ff\u00ff\0\0{}")]
    public void Malformed_bodies_are_refused(string manifest, string body)
    {
        Assert.Throws<SerializationException>(() => Serialization.Deserialize(Encoding.Latin1.GetBytes(body), WireSerializer.Id, manifest));
    }
}
