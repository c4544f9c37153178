using System.Globalization;
using PgHa.Clusters;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Activities.PgBouncer;

/// <summary>Where pgbouncer's files live on a host and the pgbouncer.ini the runbooks deploy (the only renderer of that file).</summary>
public static class PgBouncerLayout
{
    public const string Binary = "/usr/sbin/pgbouncer";

    public static string IniFile(ClusterInventory c) => c.Paths.PgBouncerConfig.TrimEnd('/') + "/pgbouncer.ini";
    public static string AuthFile(ClusterInventory c) => c.Paths.PgBouncerConfig.TrimEnd('/') + "/userlist.txt";
    public static string PidFile(ClusterInventory c) => c.Paths.SocketDir.TrimEnd('/') + "/pgbouncer.pid";
    public static string LogFile(ClusterInventory c) => c.Paths.Log.TrimEnd('/') + "/pgbouncer.log";

    /// <summary>One named [databases] entry per replicated database, all pointing at <paramref name="targetAddress"/>.</summary>
    public static PgBouncerConfig Config(ClusterInventory c, string targetAddress) => new()
    {
        Databases = c.Databases.Select(db => new PgBouncerDatabaseEntry(db, targetAddress, c.Ports.Postgres, db)).ToList(),
        ListenPort = c.Ports.PgBouncer,
        UnixSocketDir = c.Paths.SocketDir,
        AuthFile = AuthFile(c),
        AdminUsers = [ClusterHosts.PgBouncerAdminUser],
        PidFile = PidFile(c),
        LogFile = LogFile(c),
        PoolMode = c.PgBouncerPoolMode,
        DefaultPoolSize = c.Settings.TryGetValue("pgbouncerPoolSize", out var size) && int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 20,
    };
}
