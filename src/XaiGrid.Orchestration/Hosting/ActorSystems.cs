using System.Reflection;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Streams;

namespace XaiGrid.Orchestration.Hosting;

/// <summary>The actor systems XaiGrid runs in: their configuration is Hosting/xaigrid.conf beneath the user's.</summary>
public static class ActorSystems
{
    /// <summary>Every node of a cluster has this system name: it is part of each node's address.</summary>
    public const string Name = "xaigrid";

    /// <summary>Hosting/xaigrid.conf, with Akka.Streams' settings (its stream-ref serializer among them) beneath it.</summary>
    public static Config Reference { get; } = LoadReference();

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("XaiGrid.Orchestration.xaigrid.conf")
            ?? throw new InvalidOperationException("XaiGrid.Orchestration lacks its embedded xaigrid.conf");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd()).WithFallback(ActorMaterializer.DefaultConfig());
    }

    /// <summary>A system for one process, no remoting.</summary>
    public static ActorSystem Local() => ActorSystem.Create(Name, Reference);

    /// <summary>A cluster node: <paramref name="config"/> over the reference; <paramref name="setup"/> adds what config cannot hold (TLS).</summary>
    public static ActorSystem Create(Config config, Setup? setup = null)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(config.WithFallback(Reference));
        return setup is null ? ActorSystem.Create(Name, bootstrap) : ActorSystem.Create(Name, bootstrap.And(setup));
    }
}
