using System.Text;
using RabbitMQ.Client;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Payloads larger than the broker's message size limit (results with model weights, artifact replies) travel as
/// several messages. Each part names its transfer, its index, the part count, its offset and the total length in its
/// headers; <see cref="PartAssembler"/> puts them back together in whatever order they arrive.
/// </summary>
public static class MessageParts
{
    internal const string TransferHeader = "xaigrid-transfer", PartHeader = "xaigrid-part", PartsHeader = "xaigrid-parts",
        OffsetHeader = "xaigrid-offset", LengthHeader = "xaigrid-length";

    /// <summary>
    /// The parts of the concatenation of <paramref name="segments"/>, each at most <paramref name="partBytes"/> long,
    /// copied one part at a time as the sequence is walked (a 500 MB result is not copied whole).
    /// </summary>
    public static IEnumerable<(byte[] Body, Dictionary<string, object?> Headers)> Split(IReadOnlyList<ReadOnlyMemory<byte>> segments, int partBytes)
    {
        if (partBytes < 1) throw new ArgumentOutOfRangeException(nameof(partBytes), partBytes, "parts need at least one byte");
        long total = segments.Sum(s => (long)s.Length);
        int parts = (int)Math.Max(1, (total + partBytes - 1) / partBytes);
        var transfer = Guid.NewGuid().ToString("N");
        int segment = 0, within = 0;
        for (int part = 0; part < parts; part++)
        {
            long offset = (long)part * partBytes;
            var body = new byte[Math.Min(partBytes, total - offset)];
            for (int filled = 0; filled < body.Length;)
            {
                var source = segments[segment].Span[within..];
                int n = Math.Min(source.Length, body.Length - filled);
                source[..n].CopyTo(body.AsSpan(filled));
                filled += n;
                within += n;
                if (within == segments[segment].Length && segment + 1 < segments.Count)
                {
                    segment++;
                    within = 0;
                }
            }
            yield return (body, new Dictionary<string, object?>
            {
                [TransferHeader] = transfer, [PartHeader] = part, [PartsHeader] = parts, [OffsetHeader] = offset, [LengthHeader] = total,
            });
        }
    }

    /// <summary>A header's text: the client hands AMQP strings over as UTF-8 bytes.</summary>
    public static string? StringHeader(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string s => s,
            null => null,
            var other => other.ToString(),
        } : null;

    internal static long? LongHeader(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true ? value switch
        {
            int i => i,
            long l => l,
            short s => s,
            byte b => b,
            uint u => u,
            _ => null,
        } : null;
}

/// <summary>
/// Collects the parts of transfers (see <see cref="MessageParts"/>) until each is complete. A part seen twice (a
/// redelivery) is ignored. Not thread-safe: one per consumer.
/// </summary>
public sealed class PartAssembler(TimeProvider? time = null)
{
    private sealed class Transfer(long length, int parts, DateTimeOffset started)
    {
        public readonly byte[] Bytes = new byte[length];
        public readonly bool[] Seen = new bool[parts];
        public int Count;
        public DateTimeOffset LastPart = started;
    }

    private readonly Dictionary<string, Transfer> open = new();
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    /// <summary>Transfers with some parts received and not all.</summary>
    public int Incomplete => open.Count;

    /// <summary>The whole payload when <paramref name="body"/> completes its transfer, else null.</summary>
    public byte[]? Add(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        var id = MessageParts.StringHeader(properties, MessageParts.TransferHeader);
        var part = MessageParts.LongHeader(properties, MessageParts.PartHeader);
        var parts = MessageParts.LongHeader(properties, MessageParts.PartsHeader);
        var offset = MessageParts.LongHeader(properties, MessageParts.OffsetHeader);
        var length = MessageParts.LongHeader(properties, MessageParts.LengthHeader);
        if (id is null || part is null || parts is null || offset is null || length is null)
            throw new InvalidDataException("a message without its part headers (not sent by XaiGrid?)");
        if (parts < 1 || part < 0 || part >= parts || length < 0 || length > Array.MaxLength || offset < 0 || offset + body.Length > length)
            throw new InvalidDataException($"transfer {id}: part {part} of {parts} at {offset} (+{body.Length}) does not fit {length} bytes");
        if (parts == 1) return body.Length == length ? body.ToArray() : throw new InvalidDataException($"transfer {id}: {body.Length} bytes, expected {length}");

        if (!open.TryGetValue(id, out var transfer))
            open[id] = transfer = new Transfer(length.Value, (int)parts.Value, clock.GetUtcNow());
        if (transfer.Seen.Length != parts || transfer.Bytes.Length != length)
            throw new InvalidDataException($"transfer {id}: part {part} disagrees with earlier parts on the part count or length");
        transfer.LastPart = clock.GetUtcNow();
        if (transfer.Seen[part.Value]) return null;
        body.Span.CopyTo(transfer.Bytes.AsSpan((int)offset.Value));
        transfer.Seen[part.Value] = true;
        if (++transfer.Count < transfer.Seen.Length) return null;
        open.Remove(id);
        return transfer.Bytes;
    }

    /// <summary>Forgets transfers that received nothing for <paramref name="age"/> (their sender died mid-way).</summary>
    public int DropStale(TimeSpan age)
    {
        var cutoff = clock.GetUtcNow() - age;
        var stale = open.Where(t => t.Value.LastPart < cutoff).Select(t => t.Key).ToList();
        foreach (var id in stale) open.Remove(id);
        return stale.Count;
    }
}
