namespace PgHa.Lab;

/// <summary>Where the lab lives and what bring-up may do.</summary>
public sealed record LabOptions
{
    public const string DefaultDirectory = "/var/lib/pgha/lab";
    public const string DirectoryVariable = "PGHA_LAB_DIR";

    /// <summary>Holds hosts/, bastion/, state/, inventory.json and secrets.json.</summary>
    public string LabDirectory { get; init; } =
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir ? dir : DefaultDirectory;

    /// <summary>Install missing Debian packages before bring-up.</summary>
    public bool InstallPackages { get; init; } = true;

    /// <summary>Start cron inside each host (WAL archive sync jobs run there).</summary>
    public bool StartCron { get; init; } = true;

    public TimeSpan HostStartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long teardown waits for other processes that declared themselves lab users (<see cref="LocalLab.UseAsync"/>).</summary>
    public TimeSpan WaitForUsersTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
