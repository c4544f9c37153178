using PgHa.Clusters;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;
using PgHa.Remote;
using PgHa.Secrets;
using PgHa.Workflows.Activities;

namespace PgHa.Activities;

/// <summary>Which inventory account a remote step runs as: devops (sudo) or silkcloud (owns PostgreSQL).</summary>
public enum HostAccount { Deploy, Admin }

/// <summary>One inventory host as a step addresses it: the reference the runbook used (role or host name) and the host.</summary>
public sealed record HostRef(string Reference, ClusterHost Host)
{
    public string Name => Host.Name;
    public string Address => Host.Address;
    public override string ToString() => Reference == Host.Name ? Host.Name : $"{Reference} ({Host.Name})";
}

/// <summary>
/// The run's cluster as the activities need it: role or host name → host, host + account → SSH target,
/// secret purpose → value from the secret store, and the PostgreSQL / pgbouncer endpoints the tool uses.
/// </summary>
public sealed class ClusterHosts
{
    /// <summary>PostgreSQL roles the scripts create; the tool itself connects as the application role.</summary>
    public const string AppUser = "app";
    public const string ReplicationUser = "replicator";
    public const string PgBouncerAdminUser = "pgbadmin";
    public const string LondisteUser = "pgha_londiste";

    public const string AppPasswordPurpose = "appPassword";
    public const string ReplicationPasswordPurpose = ClusterInventory.ReplicationPasswordPurpose;
    public const string PgBouncerAdminPasswordPurpose = "pgbouncerAdminPassword";
    public const string LondistePasswordPurpose = ClusterInventory.LondistePasswordPurpose;

    private readonly SshConnectionPool _pool;
    private readonly SecretStore _secrets;

    public ClusterHosts(ClusterInventory inventory, SshConnectionPool pool, SecretStore secrets)
    {
        Inventory = inventory;
        _pool = pool;
        _secrets = secrets;
    }

    public ClusterInventory Inventory { get; }

    /// <summary>The run's cluster, or a clear error when the run was started without one.</summary>
    public static ClusterHosts For(ActivityContext context) =>
        new(context.Cluster ?? throw new ActivityInputException("this activity needs a cluster; start the run with one"),
            Service<SshConnectionPool>(context), Service<SecretStore>(context));

    internal static T Service<T>(ActivityContext context) where T : notnull =>
        (T?)context.Services.GetService(typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered; call services.AddPostgresHaActivities()");

    /// <summary>A role (master, slave, replica) or a host name.</summary>
    public HostRef Resolve(string reference)
    {
        if (Inventory.Roles.TryGetValue(reference, out var name))
            return new HostRef(reference, Inventory.Hosts.FirstOrDefault(h => h.Name == name)
                ?? throw new ActivityInputException($"role '{reference}' points at host '{name}', which the inventory does not list"));
        var host = Inventory.Hosts.FirstOrDefault(h => h.Name == reference);
        return host is null
            ? throw new ActivityInputException($"'{reference}' is neither a role ({string.Join(", ", Inventory.Roles.Keys)}) " +
                                               $"nor a host ({string.Join(", ", Inventory.Hosts.Select(h => h.Name))}) of cluster '{Inventory.Id}'")
            : new HostRef(reference, host);
    }

    /// <summary>Resolves a list of references, refusing an empty list and the same host twice.</summary>
    public IReadOnlyList<HostRef> ResolveAll(IReadOnlyList<string> references, string field)
    {
        if (references.Count == 0) throw new ActivityInputException($"{field}: name at least one role or host");
        var hosts = references.Select(Resolve).ToList();
        var twice = hosts.GroupBy(h => h.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ActivityInputException($"{field}: host {twice.Key} is named twice ({string.Join(", ", twice.Select(h => h.Reference))})");
        return hosts;
    }

    /// <summary>Roles this host plays now (a host may have none).</summary>
    public IReadOnlyList<string> RolesOf(string hostName) =>
        Inventory.Roles.Where(r => r.Value == hostName).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();

    public ClusterAccount Account(HostAccount account) =>
        account == HostAccount.Admin ? Inventory.Accounts.Admin : Inventory.Accounts.Deploy;

    public SshTarget Target(HostRef host, HostAccount account)
    {
        var a = Account(account);
        return new SshTarget
        {
            HostName = host.Name,
            Address = host.Address,
            Port = host.Host.SshPort,
            User = a.User,
            KeyFile = a.KeyFile,
            KeyPassphrase = a.PassphraseSecret is null ? null : _secrets.Get(a.PassphraseSecret),
            KnownHostsFile = Inventory.KnownHostsFile,
        };
    }

    public RemoteHost Remote(HostRef host, HostAccount account) => _pool.Host(Target(host, account));

    /// <summary>A secret by its purpose (inventory secrets map purpose → secret name; see <see cref="ClusterInventory.SecretName"/>).</summary>
    public string Secret(string purpose) => Inventory.SecretName(purpose) is { } name ? _secrets.Get(name)
        : throw new ActivityInputException($"cluster '{Inventory.Id}' names no secret for '{purpose}' (inventory 'secrets' map)");

    /// <summary>The application role on a host's PostgreSQL, or through its pgbouncer.</summary>
    public PostgresEndpoint AppEndpoint(HostRef host, string database, bool throughPgBouncer = false) =>
        new(host.Address, throughPgBouncer ? Inventory.Ports.PgBouncer : Inventory.Ports.Postgres, database, AppUser)
        {
            Password = Secret(AppPasswordPurpose),
            ApplicationName = "pgha-activities",
        };

    public PgBouncerAdmin PgBouncerAdmin(HostRef host) =>
        new(new PgBouncerAdminEndpoint(host.Address, Inventory.Ports.PgBouncer, PgBouncerAdminUser)
        {
            Password = Secret(PgBouncerAdminPasswordPurpose),
        });
}

/// <summary>An input that cannot be applied to this cluster; the activity turns it into a Failed outcome with this message.</summary>
public sealed class ActivityInputException(string message) : Exception(message);
