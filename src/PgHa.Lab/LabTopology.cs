namespace PgHa.Lab;

/// <summary>One lab host: a network namespace on the lab bridge.</summary>
public sealed record LabHost(string Name, string Address, string Role)
{
    /// <summary>The root-namespace end of the host's veth pair; taking it down cuts the host off.</summary>
    public string Link => "v" + Name;
}

/// <summary>The fixed shape of the lab (design §8): three hosts on a private bridge, the root namespace as bastion.</summary>
public static class LabTopology
{
    public const string Bridge = "pghabr0";
    public const string BastionAddress = "10.77.0.1";
    public const int PrefixLength = 24;
    public const string SubnetPrefix = "10.77.0.";
    public const string AdminUser = "devops";
    public const string DeployUser = "silkcloud";
    public const string SudoersFile = "/etc/sudoers.d/lab-pgha-devops";
    public const string PgCtl = "/usr/lib/postgresql/15/bin/pg_ctl";

    public static readonly IReadOnlyList<LabHost> Hosts =
    [
        new("pgha-master", "10.77.0.11", "master"),
        new("pgha-slave", "10.77.0.12", "slave"),
        new("pgha-replica", "10.77.0.13", "replica"),
    ];

    public static readonly IReadOnlyList<string> Users = [AdminUser, DeployUser];

    public static readonly IReadOnlyList<string> Packages =
    [
        "openssh-server", "sudo", "postgresql-15", "pgbouncer", "rsync", "cron", "python3-londiste",
        "postgresql-15-pgq3", "postgresql-15-londiste-sql", "pgqd", "oidentd",
    ];

    public static LabHost Host(string name) =>
        Hosts.FirstOrDefault(h => h.Name == name)
        ?? throw new ArgumentException($"'{name}' is not a lab host; the hosts are {string.Join(", ", Hosts.Select(h => h.Name))}.");

    /// <summary>
    /// Per-host private directories: (folder under hosts/NAME, mount point). Order matters: /tmp is last,
    /// because every source lives under the lab directory, which a private /tmp could hide.
    /// </summary>
    public static readonly IReadOnlyList<(string Folder, string MountPoint)> PrivateDirectories =
    [
        ("var-run-postgresql", "/run/postgresql"),
        ("var-lib-postgresql", "/var/lib/postgresql"),
        ("var-log-postgresql", "/var/log/postgresql"),
        ("etc-postgresql", "/etc/postgresql"),
        ("etc-pgbouncer", "/etc/pgbouncer"),
        ("etc-ssh", "/etc/ssh"),
        ("var-spool-cron", "/var/spool/cron"),
        ("home", "/home"),
        // Machine-wide places a PostgreSQL/pgbouncer/Londiste runbook may write (recipe §11): private copies per host,
        // so a cron entry or a pgqd/cluster-creation setting on one host does not leak to the others.
        ("etc-cron.d", "/etc/cron.d"),
        ("etc-postgresql-common", "/etc/postgresql-common"),
        ("etc-default", "/etc/default"),
        ("etc-skytools", "/etc/skytools"),
        ("etc-hosts", "/etc/hosts"),
        ("etc-hostname", "/etc/hostname"),
        ("etc-resolv.conf", "/etc/resolv.conf"),
        ("etc-pgqd.ini", "/etc/pgqd.ini"),
        ("var-tmp", "/var/tmp"),
        ("tmp", "/tmp"),
    ];
}
