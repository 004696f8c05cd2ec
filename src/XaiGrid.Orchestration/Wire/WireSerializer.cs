using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Akka.Streams;
using Google.Protobuf;
using XaiGrid.Orchestration.Execution;
using XaiGrid.Orchestration.Messages;

namespace XaiGrid.Orchestration.Wire;

/// <summary>
/// The serializer of XaiGrid's messages between nodes (bound to <see cref="IWireMessage"/> in Hosting/xaigrid.conf).
/// Each message type has a fixed manifest; a manifest outside that table is refused, so a peer cannot make this node
/// instantiate a type of its choosing. Bodies are System.Text.Json of the records (no type names, no polymorphism),
/// except that bytes travel raw: an artifact chunk is its bytes, and a message carrying artifact bytes is a
/// little-endian int32 length, a JSON header, then the bytes. A stream ref travels as the path of the actor that
/// serves it, and is rebuilt here as a source of <see cref="ArtifactChunk"/>, the only element type there is.
/// </summary>
public sealed class WireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7310;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(RegisterWorker)] = "register",
        [typeof(WorkerRegistered)] = "registered",
        [typeof(WorkerLeaving)] = "leaving",
        [typeof(RequestCell)] = "request",
        [typeof(RunCell)] = "run",
        [typeof(CellCompleted)] = "completed",
        [typeof(CellFailed)] = "failed",
        [typeof(FetchArtifact)] = "fetch",
        [typeof(ArtifactInline)] = "artifact",
        [typeof(ArtifactStream)] = "artifact-stream",
        [typeof(ArtifactUnavailable)] = "unavailable",
        [typeof(ArtifactChunk)] = "chunk",
    };

    private static readonly Dictionary<string, Type> Types = Manifests.ToDictionary(p => p.Value, p => p.Key);

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Metrics may be NaN (a class absent from a split); JSON has no literal for it otherwise.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A message missing a field is refused here, not met later as a null deep in a cell.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public override int Identifier => Id;

    /// <summary>The manifests this serializer knows, by message type.</summary>
    public static IReadOnlyDictionary<Type, string> KnownManifests => Manifests;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest) ? manifest
            : throw new SerializationException($"{o.GetType()} is not one of XaiGrid's wire messages");

    public override byte[] ToBinary(object obj) => obj switch
    {
        ArtifactChunk chunk => chunk.Bytes,
        ArtifactInline inline => Framed(new InlineHeader(inline.Hash, inline.MediaType), [inline.Bytes]),
        ArtifactStream stream => JsonSerializer.SerializeToUtf8Bytes(
            new StreamHeader(stream.Hash, stream.MediaType, stream.Length, OriginPath(stream.Source)), Json),
        CellCompleted completed => Framed(new CompletedHeader(completed.Key, completed.Worker, completed.Scalars, completed.Tables,
                completed.Artifacts.Select(a => new ArtifactHeader(a.Name, a.MediaType, a.Length, a.Hash, a.Bytes is not null)).ToList(),
                completed.Upload is { } upload ? OriginPath(upload) : null),
            completed.Artifacts.Where(a => a.Bytes is not null).Select(a => a.Bytes!).ToList()),
        IWireMessage message when Manifests.ContainsKey(message.GetType()) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Json),
        _ => throw new SerializationException($"{obj.GetType()} is not one of XaiGrid's wire messages"),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"refused a message with manifest '{Shorten(manifest)}': not one of XaiGrid's wire messages " +
                $"({string.Join(", ", Types.Keys)})");
        try
        {
            return type switch
            {
                _ when type == typeof(ArtifactChunk) => new ArtifactChunk(bytes),
                _ when type == typeof(ArtifactInline) => ReadInline(bytes),
                _ when type == typeof(ArtifactStream) => ReadStream(bytes),
                _ when type == typeof(CellCompleted) => ReadCompleted(bytes),
                _ => JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"a '{manifest}' message is empty (null)"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidProtocolBufferException)
        {
            throw new SerializationException($"a '{manifest}' message is not valid: {e.Message}", e);
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private sealed record InlineHeader(string Hash, string MediaType);

    private sealed record StreamHeader(string Hash, string MediaType, long Length, string Source);

    private sealed record ArtifactHeader(string Name, string MediaType, long Length, string? Hash, bool Inline);

    private sealed record CompletedHeader(string Key, string Worker, IReadOnlyDictionary<string, double> Scalars,
        IReadOnlyDictionary<string, string> Tables, List<ArtifactHeader> Artifacts, string? Upload);

    private static byte[] Framed<T>(T header, IReadOnlyList<byte[]> payloads)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        var frame = new byte[4 + json.Length + payloads.Sum(p => (long)p.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        int at = 4 + json.Length;
        foreach (var payload in payloads)
        {
            payload.CopyTo(frame, at);
            at += payload.Length;
        }
        return frame;
    }

    private static (T Header, int At) Unframe<T>(byte[] frame, string what)
    {
        if (frame.Length < 4) throw new InvalidDataException($"a {what} of {frame.Length} bytes has no header");
        int length = BinaryPrimitives.ReadInt32LittleEndian(frame);
        if (length < 0 || length > frame.Length - 4) throw new InvalidDataException($"a {what}'s header claims {length} bytes of {frame.Length - 4}");
        var header = JsonSerializer.Deserialize<T>(frame.AsSpan(4, length), Json) ?? throw new InvalidDataException($"a {what}'s header is null");
        return (header, 4 + length);
    }

    private static byte[] Take(byte[] frame, ref int at, long length, string what)
    {
        if (length < 0 || length > frame.Length - at) throw new InvalidDataException($"{what} claims {length} bytes, {frame.Length - at} left");
        var bytes = frame.AsSpan(at, (int)length).ToArray();
        at += (int)length;
        return bytes;
    }

    private static ArtifactInline ReadInline(byte[] frame)
    {
        var (header, at) = Unframe<InlineHeader>(frame, "artifact");
        return new ArtifactInline(header.Hash, header.MediaType, frame.AsSpan(at).ToArray());
    }

    private ArtifactStream ReadStream(byte[] bytes)
    {
        var header = JsonSerializer.Deserialize<StreamHeader>(bytes, Json) ?? throw new InvalidDataException("an artifact stream's header is null");
        return new ArtifactStream(header.Hash, header.MediaType, header.Length, SourceAt(header.Source));
    }

    private CellCompleted ReadCompleted(byte[] frame)
    {
        var (header, at) = Unframe<CompletedHeader>(frame, "cell result");
        var artifacts = header.Artifacts.Select(a => new ResultArtifact(a.Name, a.MediaType, a.Length, a.Hash,
            a.Inline ? Take(frame, ref at, a.Length, $"cell {header.Key}: artifact '{a.Name}'") : null)).ToList();
        if (at != frame.Length) throw new InvalidDataException($"cell {header.Key}: {frame.Length - at} bytes after the last artifact");
        if (header.Upload is null && artifacts.Any(a => a.Bytes is null))
            throw new InvalidDataException($"cell {header.Key}: artifacts to stream but no stream");
        return new CellCompleted(header.Key, header.Worker, header.Scalars, header.Tables, artifacts,
            header.Upload is { } upload ? SourceAt(upload) : null);
    }

    // A stream ref is Akka's SourceRef message: the serving actor's path and the element type. Only the path travels
    // here; the element type is always ArtifactChunk, named by this code rather than read from the wire.

    private static readonly string ChunkTypeName = $"{typeof(ArtifactChunk).FullName}, {typeof(ArtifactChunk).Assembly.GetName().Name}";

    private Serializer StreamRefs(object sample)
    {
        var serializer = system.Serialization.FindSerializerFor(sample);
        return serializer.Identifier == StreamRefSerializerId ? serializer
            : throw new SerializationException($"stream refs are serialized by serializer {serializer.Identifier}, not Akka.Streams' ({StreamRefSerializerId})");
    }

    private const int StreamRefSerializerId = 30;
    private const string SourceRefManifest = "E";

    private string OriginPath(ISourceRef<ArtifactChunk> source)
    {
        // SourceRef { ActorRef originRef = 1 { string path = 1 }; EventType eventType = 2 }
        var input = new CodedInputStream(StreamRefs(source).ToBinary(source));
        string? path = null;
        while (input.ReadTag() is var tag and not 0)
        {
            if (tag == WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited))
            {
                var origin = new CodedInputStream(input.ReadBytes().ToByteArray());
                while (origin.ReadTag() is var inner and not 0)
                    if (inner == WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited)) path = origin.ReadString();
                    else origin.SkipLastField();
            }
            else input.SkipLastField();
        }
        return path ?? throw new SerializationException("a stream ref without its origin actor");
    }

    private ISourceRef<ArtifactChunk> SourceAt(string path)
    {
        if (!ActorPath.TryParse(path, out _)) throw new InvalidDataException($"'{Shorten(path)}' is not an actor path");
        using var body = new MemoryStream();
        var output = new CodedOutputStream(body);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(1, path));
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(1, ChunkTypeName));
        output.Flush();
        return StreamRefsFromBinary(body.ToArray());
    }

    private static ByteString Message(int field, string value)
    {
        using var body = new MemoryStream();
        var output = new CodedOutputStream(body);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
        output.Flush();
        return ByteString.CopyFrom(body.ToArray());
    }

    private ISourceRef<ArtifactChunk> StreamRefsFromBinary(byte[] bytes) =>
        system.Serialization.Deserialize(bytes, StreamRefSerializerId, SourceRefManifest) as ISourceRef<ArtifactChunk>
        ?? throw new SerializationException("Akka.Streams did not make a source of artifact chunks of a stream ref");
}

/// <summary>
/// Takes the place of Akka's default serializer for everything without a binding (Newtonsoft JSON, which writes type
/// names on the wire and instantiates them on arrival), under its name and identifier: a message of any other type
/// is refused when sent, and one that arrives claiming that serializer is refused too.
/// </summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka passes the settings of the serializer it replaces (akka.actor.serialization-settings.json): none apply.</summary>
    public RefusingSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : this(system)
    {
    }

    public override int Identifier => 1;

    public override string Manifest(object o) => throw Refused(o.GetType());

    public override byte[] ToBinary(object obj) => throw Refused(obj.GetType());

    /// <summary>The manifest, whatever type it names, is only quoted: nothing looks it up.</summary>
    public override object FromBinary(byte[] bytes, string manifest) => throw new SerializationException(manifest.Length == 0
        ? "refused a message in Akka's JSON format (serializer 1), which names its types inside: only XaiGrid's wire messages are accepted"
        : $"refused a message naming type '{(manifest.Length <= 200 ? manifest : manifest[..200] + "...")}' from another node: " +
          "only XaiGrid's wire messages are accepted");

    private static SerializationException Refused(Type type) =>
        new($"{type} may not travel between nodes: only XaiGrid's wire messages do");
}
