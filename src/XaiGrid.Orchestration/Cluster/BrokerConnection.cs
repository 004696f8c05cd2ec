using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>Opens connections to the broker the settings name.</summary>
public static class BrokerConnection
{
    /// <param name="name">Shown in the broker's connection list (the worker's name, or "coordinator").</param>
    public static async Task<IConnection> OpenAsync(ClusterSettings settings, string name, CancellationToken cancel)
    {
        var broker = settings.Broker;
        var factory = new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.User ?? throw new InvalidOperationException("no broker user in the settings"),
            Password = broker.Password ?? throw new InvalidOperationException("no broker password in the settings"),
            RequestedHeartbeat = TimeSpan.FromSeconds(broker.HeartbeatSeconds),
            ClientProvidedName = $"xaigrid {name}",
            // Delivery tags do not survive a reconnect, so acknowledging a cell taken before it would fail or ack
            // another cell: a lost connection ends the process instead, and the broker redelivers its cells.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            MaxInboundMessageBodySize = (uint)settings.Queues.MaxMessageBytes,
        };
        try
        {
            return await factory.CreateConnectionAsync(cancel);
        }
        catch (BrokerUnreachableException e)
        {
            throw new InvalidOperationException($"cannot reach the RabbitMQ broker at {broker}: {Innermost(e).Message}", e);
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
