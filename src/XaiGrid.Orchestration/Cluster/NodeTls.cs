using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace XaiGrid.Orchestration.Cluster;

/// <summary>
/// Mutual TLS between nodes: DotNetty's SSL in Akka.Remote with the node's certificate from the settings, and a check
/// of the peer's certificate on both ends of every connection. A peer is accepted when it presents the cluster's
/// certificate (the one this node has), or, with <see cref="TlsSettings.CaCertificate"/>, a certificate that CA
/// issued; a node without it cannot join, nor can this node be talked into joining another cluster.
/// </summary>
public static class NodeTls
{
    /// <summary>The setup to start a node's system with; null when TLS is off.</summary>
    public static DotNettySslSetup? Setup(TlsSettings tls)
    {
        if (!tls.Enabled) return null;
        X509Certificate2 own;
        try
        {
            own = X509CertificateLoader.LoadPkcs12FromFile(tls.Certificate, tls.Password, X509KeyStorageFlags.Exportable);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"TLS certificate {tls.Certificate}: cannot be read ({e.Message}); it must be PKCS#12 (.pfx) with its password", e);
        }
        if (!own.HasPrivateKey) throw new InvalidDataException($"TLS certificate {tls.Certificate} holds no private key");
        var ca = tls.CaCertificate.Length > 0 ? LoadCa(tls.CaCertificate) : null;
        return new DotNettySslSetup(own, suppressValidation: false, requireMutualAuthentication: true,
            (peer, _, remote, _, log) => Accept(own, ca, peer, remote, log));
    }

    internal static bool Accept(X509Certificate2 own, X509Certificate2? ca, X509Certificate2? peer, string remote, ILoggingAdapter? log)
    {
        string? refusal;
        if (peer is null) refusal = "it presented no certificate";
        else if (DateTime.Now < peer.NotBefore || DateTime.Now > peer.NotAfter) refusal = $"its certificate {peer.Subject} is not valid now";
        else if (ca is null) refusal = peer.Thumbprint == own.Thumbprint ? null : $"its certificate {peer.Subject} ({peer.Thumbprint}) is not the cluster's";
        else
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            refusal = chain.Build(peer) ? null : $"its certificate {peer.Subject} was not issued by the cluster's CA {ca.Subject}";
        }
        if (refusal is not null) log?.Warning("TLS: refused {0}: {1}", remote, refusal);
        return refusal is null;
    }

    private static X509Certificate2 LoadCa(string path)
    {
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"TLS CA certificate {path}: cannot be read ({e.Message}); it must be PEM or DER", e);
        }
    }
}
