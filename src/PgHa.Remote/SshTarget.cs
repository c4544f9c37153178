namespace PgHa.Remote;

/// <summary>
/// How to reach one host as one user. A class rather than a record so the key passphrase never shows up
/// in a generated ToString().
/// </summary>
public sealed class SshTarget
{
    /// <summary>Inventory name of the host (pgha-master); used in messages and known_hosts lookups.</summary>
    public required string HostName { get; init; }
    public required string Address { get; init; }
    public int Port { get; init; } = 22;
    public required string User { get; init; }

    /// <summary>OpenSSH private key file (ed25519 or RSA).</summary>
    public required string KeyFile { get; init; }

    /// <summary>Key passphrase, resolved by the caller from a secret. Never logged.</summary>
    public string? KeyPassphrase { get; init; }

    /// <summary>The cluster's known_hosts file; the host key must be pinned there.</summary>
    public required string KnownHostsFile { get; init; }

    /// <summary>Accept and append an unknown host key. Only when an operator asked for it; a changed key is refused regardless.</summary>
    public bool TrustOnFirstUse { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal string PoolKey => $"{User}@{Address}:{Port}";

    public override string ToString() => $"{User}@{HostName} ({Address}:{Port})";
}
