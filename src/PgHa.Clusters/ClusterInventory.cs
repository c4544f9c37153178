using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgHa.Clusters;

/// <summary>
/// What an operator knows about one PGHA cluster: its hosts, which host plays which role, the accounts used
/// to reach them, ports, paths and references to secrets (never the secret values themselves).
/// Roles change after a failover; everything else rarely does.
/// </summary>
public sealed record ClusterInventory
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required IReadOnlyList<ClusterHost> Hosts { get; init; }

    /// <summary>Role name (master, slave, replica) → host name.</summary>
    public required IReadOnlyDictionary<string, string> Roles { get; init; }

    public required ClusterAccounts Accounts { get; init; }

    /// <summary>OpenSSH known_hosts file that pins every host's key.</summary>
    public required string KnownHostsFile { get; init; }

    public ClusterPorts Ports { get; init; } = new();
    public ClusterPaths Paths { get; init; } = new();

    /// <summary>Databases replicated by Londiste to the replica.</summary>
    public IReadOnlyList<string> Databases { get; init; } = ["appdb"];

    /// <summary>Secret purpose (e.g. replicationPassword) → name of the secret in the secret store.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Setting that picks pgbouncer's pool_mode: transaction (the default) or session.</summary>
    public const string PoolModeSetting = "pgbouncerPoolMode";

    /// <summary>
    /// transaction unless the settings say session: in transaction pooling PAUSE waits only for running transactions,
    /// so clients that hold their connection (every application pool) survive a switchover.
    /// </summary>
    public string PgBouncerPoolMode => Settings.TryGetValue(PoolModeSetting, out var mode) && mode == "session" ? "session" : "transaction";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        AllowDuplicateProperties = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ClusterInventory FromJson(string json) =>
        JsonSerializer.Deserialize<ClusterInventory>(json, JsonOptions)
        ?? throw new JsonException("the cluster inventory is empty (null)");

    public ClusterHost? HostForRole(string role) =>
        Roles.TryGetValue(role, out var name) ? Hosts.FirstOrDefault(h => h.Name == name) : null;

    /// <summary>The secret name for a purpose; a cluster without its own Londiste password reuses the replication one.</summary>
    public string? SecretName(string purpose) =>
        Secrets.TryGetValue(purpose, out var name) ? name
        : purpose == LondistePasswordPurpose ? Secrets.GetValueOrDefault(ReplicationPasswordPurpose)
        : null;

    public const string ReplicationPasswordPurpose = "replicationPassword";
    public const string LondistePasswordPurpose = "londistePassword";
}

public sealed record ClusterHost
{
    public required string Name { get; init; }
    public required string Address { get; init; }
    public int SshPort { get; init; } = 22;
}

public sealed record ClusterAccounts
{
    /// <summary>The sudo account that installs software (devops in the runbook).</summary>
    public required ClusterAccount Admin { get; init; }

    /// <summary>The unprivileged account that owns and runs PostgreSQL (silkcloud in the runbook).</summary>
    public required ClusterAccount Deploy { get; init; }
}

public sealed record ClusterAccount
{
    public required string User { get; init; }
    public required string KeyFile { get; init; }

    /// <summary>Name of the secret holding the key's passphrase, if the key has one.</summary>
    public string? PassphraseSecret { get; init; }
}

public sealed record ClusterPorts
{
    public int Postgres { get; init; } = 5432;
    public int PgBouncer { get; init; } = 6543;
    public int Ssh { get; init; } = 22;
}

public sealed record ClusterPaths
{
    public string Data { get; init; } = "/var/lib/postgresql/15/pgha";
    public string Archive { get; init; } = "/var/lib/postgresql/15/archive";
    public string Deployment { get; init; } = "/home/silkcloud/pgha";
    public string Log { get; init; } = "/var/log/postgresql";
    public string PgBouncerConfig { get; init; } = "/etc/pgbouncer";
    public string SocketDir { get; init; } = "/var/run/postgresql";
}
