using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// The queues of one cluster (one prefix). Coordinator and workers both declare them, so either may start first; the
/// declarations must match, or the broker refuses the second one.
/// <list type="bullet">
/// <item><c>.work</c>: cells, a durable quorum queue. A cell returned to it (a failed attempt, or its worker's
///   connection gone) is delivered again; after <see cref="QueueSettings.MaxDeliveries"/> deliveries the broker
///   moves it to <c>.failed</c>.</item>
/// <item><c>.failed</c>: dead-lettered cells, and the error of each failed attempt, which a worker publishes here
///   before returning the cell, so the coordinator has read the last error when the dead-lettered cell arrives.</item>
/// <item><c>.results</c>: what finished cells produced.</item>
/// <item><c>.artifacts</c>: workers' requests for artifact bytes; the coordinator replies to each worker's own
///   exclusive queue.</item>
/// </list>
/// </summary>
public sealed record ClusterQueues(string Work, string Failed, string Results, string Artifacts)
{
    public static ClusterQueues For(QueueSettings settings) =>
        new($"{settings.Prefix}.work", $"{settings.Prefix}.failed", $"{settings.Prefix}.results", $"{settings.Prefix}.artifacts");

    public IEnumerable<string> All => [Work, Failed, Results, Artifacts];

    public async Task DeclareAsync(IChannel channel, QueueSettings settings, CancellationToken cancel)
    {
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        await Declare(channel, Failed, quorum, cancel);
        await Declare(channel, Work, new Dictionary<string, object?>(quorum)
        {
            // The broker counts returns, so a cell is dead-lettered on its MaxDeliveries-th return: after that many deliveries.
            ["x-delivery-limit"] = settings.MaxDeliveries - 1,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = Failed,
            // At-least-once dead-lettering (3.10+) needs reject-publish; without it a dead letter may be lost and its cell hang.
            ["x-dead-letter-strategy"] = "at-least-once",
            ["x-overflow"] = "reject-publish",
        }, cancel);
        await Declare(channel, Results, null, cancel);
        await Declare(channel, Artifacts, null, cancel);
    }

    private static async Task Declare(IChannel channel, string name, IDictionary<string, object?>? arguments, CancellationToken cancel)
    {
        try
        {
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancel);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            throw new InvalidOperationException($"queue '{name}' exists on the broker with other settings ({e.ShutdownReason.ReplyText}); " +
                "the coordinator's and the workers' queues sections (max_deliveries) must agree, or delete the old queue", e);
        }
    }

    /// <summary>Deletes every queue of the prefix (tests, and a user starting over).</summary>
    public async Task DeleteAsync(IChannel channel, CancellationToken cancel)
    {
        foreach (var name in All) await channel.QueueDeleteAsync(name, ifUnused: false, ifEmpty: false, cancellationToken: cancel);
    }
}
