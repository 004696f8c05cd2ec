using System.Buffers.Binary;
using System.Text;
using RabbitMQ.Client;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Tests.Cluster;

public sealed class ClusterMessagesTests
{
    [Fact]
    public void A_work_item_survives_json_with_nan_scalars_tables_and_artifact_hashes()
    {
        var results = new CellResults
        {
            Scalars = new Dictionary<string, double> { ["accuracy"] = double.NaN, ["loss"] = 0.1 + 0.2, ["tiny"] = double.Epsilon },
            Tables = new Dictionary<string, string> { ["confusion"] = "[[1,0],[0,1]]" },
            Artifacts = new Dictionary<string, string> { ["weights"] = ContentHash.Of("w") },
        };
        var item = new WorkItem(ContentHash.Of("k"), "explain-partial", """{"method":"smoothgrad","n":50}""",
            [new DependencyResult(ContentHash.Of("t"), "train", results), new DependencyResult(ContentHash.Of("u"), "train", new CellResults())], "a label");

        var back = ClusterMessages.DecodeWorkItem(ClusterMessages.Encode(item));

        Assert.Equal((item.Key, item.Kind, item.Parameters, item.Label), (back.Key, back.Kind, back.Parameters, back.Label));
        Assert.Equal(2, back.Dependencies.Count);
        var d = back.Dependencies[0];
        Assert.Equal((item.Dependencies[0].Key, "train"), (d.Key, d.Kind));
        Assert.True(double.IsNaN(d.Results.Scalars["accuracy"]));
        Assert.Equal(0.1 + 0.2, d.Results.Scalars["loss"]);
        Assert.Equal(double.Epsilon, d.Results.Scalars["tiny"]);
        Assert.Equal("[[1,0],[0,1]]", d.Results.Tables["confusion"]);
        Assert.Equal(ContentHash.Of("w"), d.Artifact("weights"));
        Assert.Empty(back.Dependencies[1].Results.Scalars);
    }

    [Fact]
    public void A_start_survives_json_and_one_without_its_worker_is_refused()
    {
        var started = new CellStarted("0123abcd", "w1");
        Assert.Equal(started, ClusterMessages.DecodeStarted(ClusterMessages.Encode(started)));
        var e = Assert.Throws<InvalidDataException>(() => ClusterMessages.DecodeStarted("""{"key":"abc"}"""u8));
        Assert.StartsWith("a cell started message is not valid", e.Message);
    }

    [Fact]
    public void A_result_survives_the_binary_framing_byte_for_byte()
    {
        var output = new CellOutput();
        output.Scalars["drop"] = 12.5;
        output.Scalars["nan"] = double.NaN;
        output.Tables["curve"] = "[0.1,0.2]";
        var maps = new byte[1000];
        new Random(3).NextBytes(maps);
        output.Artifacts["maps"] = new ArtifactBytes(maps, ArtifactBytes.Npy);
        output.Artifacts["empty"] = new ArtifactBytes([], "application/octet-stream");
        output.Artifacts["weights"] = new ArtifactBytes(Encoding.ASCII.GetBytes("safetensors"), ArtifactBytes.SafeTensors);

        var segments = ClusterMessages.EncodeResult("key", "worker-1", output);
        var payload = segments.SelectMany(s => s.ToArray()).ToArray();
        var report = ClusterMessages.DecodeResult(payload);

        Assert.Equal(("key", "worker-1", (string?)null), (report.Key, report.Worker, report.Error));
        Assert.Equal(12.5, report.Output!.Scalars["drop"]);
        Assert.True(double.IsNaN(report.Output.Scalars["nan"]));
        Assert.Equal("[0.1,0.2]", report.Output.Tables["curve"]);
        Assert.Equal(maps, report.Output.Artifacts["maps"].Bytes);
        Assert.Equal(ArtifactBytes.Npy, report.Output.Artifacts["maps"].MediaType);
        Assert.Empty(report.Output.Artifacts["empty"].Bytes);
        Assert.Equal("safetensors", Encoding.ASCII.GetString(report.Output.Artifacts["weights"].Bytes));
        // Header, then the artifacts' bytes as they are: 4 + header + 1000 + 0 + 11.
        Assert.Equal(4 + BinaryPrimitives.ReadInt32LittleEndian(payload) + 1011, payload.Length);
    }

    [Fact]
    public void A_truncated_or_padded_result_is_refused()
    {
        var output = new CellOutput();
        output.Artifacts["maps"] = new ArtifactBytes(new byte[100], ArtifactBytes.Npy);
        var payload = ClusterMessages.EncodeResult("key", "w", output).SelectMany(s => s.ToArray()).ToArray();

        var truncated = Assert.Throws<InvalidDataException>(() => ClusterMessages.DecodeResult(payload.AsSpan(0, payload.Length - 1)));
        Assert.Equal("cell key: artifact 'maps' claims 100 bytes, 99 left", truncated.Message);
        var padded = Assert.Throws<InvalidDataException>(() => ClusterMessages.DecodeResult([.. payload, 0]));
        Assert.Equal("cell key: 1 bytes after the last artifact", padded.Message);
        Assert.Throws<InvalidDataException>(() => ClusterMessages.DecodeResult(new byte[] { 255, 255, 0, 0, 1 }));
    }

    [Theory]
    [InlineData(0, 7)]
    [InlineData(1, 7)]
    [InlineData(1000, 7)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1000)]
    [InlineData(5000, 333)]
    public void Parts_reassemble_in_any_order_with_duplicates_ignored(int length, int partBytes)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        // Segments of uneven sizes, some empty, so parts straddle segment boundaries.
        var cuts = new[] { 0, length / 3, length / 3, length / 2 + 1, length }.Select(c => Math.Min(c, length)).ToArray();
        var segments = cuts.Zip(cuts.Skip(1), (a, b) => (ReadOnlyMemory<byte>)bytes.AsMemory(a, b - a)).ToList();

        var parts = MessageParts.Split(segments, partBytes).ToList();
        Assert.Equal(Math.Max(1, (length + partBytes - 1) / partBytes), parts.Count);
        Assert.All(parts, p => Assert.InRange(p.Body.Length, 0, partBytes));

        var assembler = new PartAssembler();
        var order = parts.Select((p, i) => (p, i)).OrderBy(x => (x.i * 7919) % parts.Count).Select(x => x.p).ToList();
        byte[]? whole = null;
        for (int i = 0; i < order.Count; i++)
        {
            var result = assembler.Add(new BasicProperties { Headers = order[i].Headers }, order[i].Body);
            if (i < order.Count - 1)
            {
                Assert.Null(result);
                Assert.Null(assembler.Add(new BasicProperties { Headers = order[i].Headers }, order[i].Body));
            }
            else whole = result;
        }
        Assert.Equal(bytes, whole);
        Assert.Equal(0, assembler.Incomplete);
    }

    [Fact]
    public void Stale_transfers_are_dropped_and_foreign_messages_refused()
    {
        var time = new ManualTime();
        var assembler = new PartAssembler(time);
        var parts = MessageParts.Split([new byte[10]], 4).ToList();
        Assert.Null(assembler.Add(new BasicProperties { Headers = parts[0].Headers }, parts[0].Body));
        time.Now += TimeSpan.FromMinutes(5);
        Assert.Equal(0, assembler.DropStale(TimeSpan.FromMinutes(10)));
        time.Now += TimeSpan.FromMinutes(6);
        Assert.Equal(1, assembler.DropStale(TimeSpan.FromMinutes(10)));
        Assert.Equal(0, assembler.Incomplete);

        var foreign = Assert.Throws<InvalidDataException>(() => assembler.Add(new BasicProperties(), new byte[3]));
        Assert.Equal("a message without its part headers (not sent by XaiGrid?)", foreign.Message);
        var headers = new Dictionary<string, object?>(parts[2].Headers) { ["xaigrid-length"] = 9L };
        Assert.Throws<InvalidDataException>(() => assembler.Add(new BasicProperties { Headers = headers }, parts[2].Body));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
