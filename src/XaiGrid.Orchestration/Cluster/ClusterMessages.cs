using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Transport;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>A failed attempt at a cell, published by the worker to the failed queue before it returns the cell.</summary>
public sealed record AttemptFailure(string Key, string Worker, string Error, long Delivery);

/// <summary>
/// The bodies of cluster messages. Cells, starts, attempt failures and artifact requests are JSON. A result is binary
/// so its artifacts travel as raw bytes: a 4-byte little-endian length, a JSON header (key, worker, scalars, tables,
/// and the name, media type and length of each artifact), then the artifacts' bytes one after another.
/// </summary>
public static class ClusterMessages
{
    /// <summary>The AMQP type property of each kind of message.</summary>
    public const string WorkType = "work", StartedType = "started", ResultType = "result", AttemptFailedType = "attempt-failed",
        ArtifactRequestType = "artifact-request", ArtifactReplyType = "artifact-reply";

    /// <summary>On an artifact reply: why there are no bytes.</summary>
    public const string ErrorHeader = "xaigrid-error";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Metrics may be NaN (a class absent from a split); JSON has no literal for it otherwise.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A message missing a field is refused here, not met later as a null deep in a cell.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static byte[] Encode(WorkItem item) => JsonSerializer.SerializeToUtf8Bytes(item, Options);

    public static WorkItem DecodeWorkItem(ReadOnlySpan<byte> body) => Read<WorkItem>(body, "cell");

    public static byte[] Encode(CellStarted started) => JsonSerializer.SerializeToUtf8Bytes(started, Options);

    public static CellStarted DecodeStarted(ReadOnlySpan<byte> body) => Read<CellStarted>(body, "cell started");

    public static byte[] Encode(AttemptFailure failure) => JsonSerializer.SerializeToUtf8Bytes(failure, Options);

    public static AttemptFailure DecodeAttemptFailure(ReadOnlySpan<byte> body) => Read<AttemptFailure>(body, "attempt failure");

    private sealed record ArtifactRequest(string Hash);

    public static byte[] EncodeArtifactRequest(string hash) => JsonSerializer.SerializeToUtf8Bytes(new ArtifactRequest(hash), Options);

    public static string DecodeArtifactRequest(ReadOnlySpan<byte> body) => Read<ArtifactRequest>(body, "artifact request").Hash;

    private sealed record ArtifactEntry(string Name, string MediaType, long Length);

    private sealed record ResultHeader(string Key, string Worker, Dictionary<string, double> Scalars, Dictionary<string, string> Tables,
        List<ArtifactEntry> Artifacts);

    /// <summary>A finished cell's result as segments to send (see <see cref="MessageParts.Split"/>): header, then each artifact.</summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> EncodeResult(string key, string worker, CellOutput output)
    {
        var artifacts = output.Artifacts.ToList();
        var header = JsonSerializer.SerializeToUtf8Bytes(new ResultHeader(key, worker, output.Scalars, output.Tables,
            artifacts.Select(a => new ArtifactEntry(a.Key, a.Value.MediaType, a.Value.Bytes.Length)).ToList()), Options);
        var head = new byte[4 + header.Length];
        BinaryPrimitives.WriteInt32LittleEndian(head, header.Length);
        header.CopyTo(head, 4);
        return [head, .. artifacts.Select(a => (ReadOnlyMemory<byte>)a.Value.Bytes)];
    }

    public static CellReport DecodeResult(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4) throw new InvalidDataException($"a result of {payload.Length} bytes has no header");
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (headerLength < 0 || headerLength > payload.Length - 4)
            throw new InvalidDataException($"a result's header claims {headerLength} bytes of {payload.Length - 4}");
        var header = Read<ResultHeader>(payload.Slice(4, headerLength), "result header");
        var output = new CellOutput();
        foreach (var (name, value) in header.Scalars) output.Scalars[name] = value;
        foreach (var (name, json) in header.Tables) output.Tables[name] = json;
        long at = 4 + headerLength;
        foreach (var artifact in header.Artifacts)
        {
            if (artifact.Length < 0 || artifact.Length > payload.Length - at)
                throw new InvalidDataException($"cell {header.Key}: artifact '{artifact.Name}' claims {artifact.Length} bytes, {payload.Length - at} left");
            output.Artifacts[artifact.Name] = new ArtifactBytes(payload.Slice((int)at, (int)artifact.Length).ToArray(), artifact.MediaType);
            at += artifact.Length;
        }
        if (at != payload.Length) throw new InvalidDataException($"cell {header.Key}: {payload.Length - at} bytes after the last artifact");
        return new CellReport(header.Key, header.Worker, output, null);
    }

    private static T Read<T>(ReadOnlySpan<byte> body, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Options) ?? throw new InvalidDataException($"a {what} message is empty (null)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"a {what} message is not valid: {e.Message}", e);
        }
    }
}
