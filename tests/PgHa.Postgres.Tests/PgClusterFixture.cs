using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Postgres.Tests;

[CollectionDefinition(Name)]
public sealed class PgClusterCollection : ICollectionFixture<PgClusterFixture>
{
    public const string Name = "PostgreSQL 15 primary + standby + pgbouncer";
}

/// <summary>
/// A real primary, a streaming standby (pg_basebackup -R -X stream -C -S) and a pgbouncer in front of the primary,
/// each on its own 127.0.0.1 port under one temp directory, run as the unprivileged "postgres" OS user.
/// Needs the Debian packages postgresql-15 and pgbouncer.
/// </summary>
public sealed class PgClusterFixture : IAsyncLifetime
{
    public const string PgBin = "/usr/lib/postgresql/15/bin";
    public const string PgBouncerBin = "/usr/sbin/pgbouncer";
    public const string SlotName = "pgha_standby_slot";
    public const string StandbyClusterName = "pgha_standby";
    public const string BouncerAdminUser = "pgbadmin";
    private const string OsUser = "postgres";

    // Random per run; the admin password carries a quote and a space so the userlist quoting is proven against pgbouncer.
    private readonly string _superPassword = "su-" + Random();
    private readonly string _replicatorPassword = "repl-" + Random();
    private readonly string _monitorPassword = "mon-" + Random();
    private readonly string _bouncerAdminPassword = $"adm \"in\" {Random()}";

    private readonly List<string> _started = [];

    public string Root { get; private set; } = "";
    public int PrimaryPort { get; } = FreePort();
    public int StandbyPort { get; } = FreePort();
    public int BouncerPort { get; } = FreePort();
    public string PrimaryData => Path.Combine(Root, "primary");
    public string StandbyData => Path.Combine(Root, "standby");
    public string BouncerIni => Path.Combine(Root, "pgbouncer.ini");
    public TimeSpan StartupTime { get; private set; }

    public string SuperPassword => _superPassword;
    public string BouncerAdminPassword => _bouncerAdminPassword;

    public PostgresEndpoint Primary => new("127.0.0.1", PrimaryPort, "postgres", "postgres") { Password = _superPassword };
    public PostgresEndpoint Standby => Primary with { Port = StandbyPort };
    /// <summary>Least-privilege probe account (member of pg_monitor), the way runbooks should probe.</summary>
    public PostgresEndpoint PrimaryMonitor => new("127.0.0.1", PrimaryPort, "postgres", "pgha_monitor") { Password = _monitorPassword };
    public PostgresEndpoint StandbyMonitor => PrimaryMonitor with { Port = StandbyPort };
    /// <summary>An application session through pgbouncer to database "postgres".</summary>
    public PostgresEndpoint ThroughBouncer => Primary with { Port = BouncerPort, Timeout = TimeSpan.FromSeconds(10) };
    public PgBouncerAdminEndpoint BouncerAdmin => new("127.0.0.1", BouncerPort, BouncerAdminUser) { Password = _bouncerAdminPassword };

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        foreach (var binary in new[] { Path.Combine(PgBin, "initdb"), PgBouncerBin })
            if (!File.Exists(binary))
                throw new InvalidOperationException($"{binary} is missing: apt-get install -y postgresql-15 pgbouncer");

        Root = Directory.CreateTempSubdirectory("pgha-pgtest-").FullName;
        try
        {
            await ChownToOsUser(Root);
            await SetUpPrimary();
            await SetUpStandby();
            await SetUpBouncer();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
        StartupTime = clock.Elapsed;
    }

    private async Task SetUpPrimary()
    {
        var pwFile = await WriteOwnedFile("superuser.pw", _superPassword + "\n");
        await RunAsOsUser(Path.Combine(PgBin, "initdb"), "-D", PrimaryData, "-U", "postgres", "--pwfile", pwFile,
            "--data-checksums", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions");
        File.Delete(pwFile);
        await File.AppendAllTextAsync(Path.Combine(PrimaryData, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            port = {PrimaryPort}
            unix_socket_directories = '{Root}'
            cluster_name = 'pgha_primary'
            wal_receiver_status_interval = 1s
            """ + "\n");
        await StartPostgres(PrimaryData, "primary.log");

        await using var connection = await PostgresProbe.OpenAsync(Primary);
        await using var command = connection.CreateCommand();
        // Passwords arrive as literals because CREATE ROLE takes no parameters; the statement is never logged here.
        command.CommandText = $"""
            CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '{_replicatorPassword}';
            CREATE ROLE pgha_monitor WITH LOGIN PASSWORD '{_monitorPassword}' IN ROLE pg_monitor;
            """;
        await command.ExecuteNonQueryAsync();
    }

    private Task SetUpStandby() => CloneStandbyAsync(StandbyData, StandbyPort, StandbyClusterName, SlotName, "standby.log");

    /// <summary>pg_basebackup of the primary into <paramref name="dataDir"/>, started as a streaming standby on its own port (with a slot when one is named).</summary>
    private async Task CloneStandbyAsync(string dataDir, int port, string clusterName, string? slot, string logName)
    {
        var passFile = await WriteOwnedFile("replicator.pgpass", $"127.0.0.1:{PrimaryPort}:*:replicator:{_replicatorPassword}\n");
        string[] slotArgs = slot is null ? [] : ["-C", "-S", slot];
        await RunAsOsUser("/usr/bin/env", [$"PGPASSFILE={passFile}", Path.Combine(PgBin, "pg_basebackup"),
            "-h", "127.0.0.1", "-p", PrimaryPort.ToString(), "-U", "replicator", "-w",
            "-D", dataDir, "-R", "-X", "stream", .. slotArgs, "-c", "fast", "--no-sync"]);
        var autoConf = await File.ReadAllTextAsync(Path.Combine(dataDir, "postgresql.auto.conf"));
        if (!autoConf.Contains("passfile", StringComparison.Ordinal))
            // The standby's WAL receiver must find the password the same way pg_basebackup did.
            await File.AppendAllTextAsync(Path.Combine(dataDir, "postgresql.auto.conf"),
                $"primary_conninfo = 'host=127.0.0.1 port={PrimaryPort} user=replicator passfile=''{passFile}'''\n");
        await File.AppendAllTextAsync(Path.Combine(dataDir, "postgresql.conf"), $"""

            port = {port}
            cluster_name = '{clusterName}'
            """ + "\n");
        await StartPostgres(dataDir, logName);
    }

    /// <summary>
    /// Another streaming standby (no slot) named <paramref name="name"/>, for a test that must change a standby's fate
    /// (promote it) without touching the shared one. Stopped with <see cref="StopExtraStandbyAsync"/> or at teardown.
    /// </summary>
    public async Task<PostgresEndpoint> StartExtraStandbyAsync(string name)
    {
        var port = FreePort();
        await CloneStandbyAsync(Path.Combine(Root, name), port, name, slot: null, name + ".log");
        return StandbyMonitor with { Port = port };
    }

    public Task PromoteExtraStandbyAsync(string name) => RunAsOsUser(Path.Combine(PgBin, "pg_ctl"), "-D", Path.Combine(Root, name), "-w", "promote");

    public Task StopExtraStandbyAsync(string name) => RunAsOsUser(Path.Combine(PgBin, "pg_ctl"), "-D", Path.Combine(Root, name), "-m", "fast", "-w", "stop");

    private async Task SetUpBouncer()
    {
        await WriteOwnedFile("userlist.txt", PgBouncerUserList.Render(
        [
            new(BouncerAdminUser, _bouncerAdminPassword),
            new("postgres", _superPassword),
        ]));
        await WriteBouncerConfig([new("postgres", "127.0.0.1", PrimaryPort, "postgres")]);
        await RunAsOsUser(PgBouncerBin, "-d", BouncerIni);
        _started.Add("pgbouncer");
        await WaitForPort(BouncerPort, TimeSpan.FromSeconds(10));
    }

    public PgBouncerConfig BouncerConfig(IReadOnlyList<PgBouncerDatabaseEntry> databases) => new()
    {
        Databases = databases,
        ListenAddr = "127.0.0.1",
        ListenPort = BouncerPort,
        UnixSocketDir = "",
        AuthFile = Path.Combine(Root, "userlist.txt"),
        AdminUsers = [BouncerAdminUser],
        PidFile = Path.Combine(Root, "pgbouncer.pid"),
        LogFile = Path.Combine(Root, "pgbouncer.log"),
        DefaultPoolSize = 5,
    };

    public Task WriteBouncerConfig(IReadOnlyList<PgBouncerDatabaseEntry> databases) =>
        WriteOwnedFile("pgbouncer.ini", BouncerConfig(databases).RenderIni());

    public Task StopStandbyAsync() => RunAsOsUser(Path.Combine(PgBin, "pg_ctl"), "-D", StandbyData, "-m", "fast", "-w", "stop");

    public Task StartStandbyAsync() => StartPostgres(StandbyData, "standby.log");

    private async Task StartPostgres(string dataDir, string logName)
    {
        // Without -l, pg_ctl keeps the server's stdout open and never returns.
        await RunAsOsUser(Path.Combine(PgBin, "pg_ctl"), "-D", dataDir, "-l", Path.Combine(Root, logName), "-w", "-t", "60", "start");
        if (!_started.Contains(dataDir)) _started.Add(dataDir);
    }

    public async Task DisposeAsync()
    {
        if (Root.Length == 0) return;
        var problems = new List<string>();
        if (_started.Contains("pgbouncer"))
        {
            try
            {
                var pid = (await File.ReadAllTextAsync(Path.Combine(Root, "pgbouncer.pid"))).Trim();
                // SIGTERM: immediate but clean shutdown of the pooler we started (by its recorded pid).
                await Run("/bin/kill", ["-TERM", pid]);
            }
            catch (Exception e) { problems.Add(e.Message); }
        }
        foreach (var dataDir in _started.Where(s => s != "pgbouncer").Reverse())
        {
            if (!File.Exists(Path.Combine(dataDir, "postmaster.pid"))) continue;
            try { await RunAsOsUser(Path.Combine(PgBin, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "stop"); }
            catch (Exception e) { problems.Add(e.Message); }
        }
        try { Directory.Delete(Root, recursive: true); }
        catch (Exception e) { problems.Add(e.Message); }
        if (problems.Count > 0) Console.Error.WriteLine("Cluster fixture teardown: " + string.Join("; ", problems));
    }

    private async Task<string> WriteOwnedFile(string name, string content)
    {
        var path = Path.Combine(Root, name);
        await File.WriteAllTextAsync(path, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await ChownToOsUser(path);
        return path;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task ChownToOsUser(string path) => IsRoot ? Run("/bin/chown", [$"{OsUser}:", path]) : Task.CompletedTask;

    /// <summary>PostgreSQL refuses to run as root, so as root everything runs through runuser.</summary>
    private static Task RunAsOsUser(string program, params string[] args) =>
        IsRoot ? Run("/usr/sbin/runuser", ["-u", OsUser, "--", program, .. args]) : Run(program, args);

    private static async Task Run(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(args.Length > 3 && program.EndsWith("runuser") ? args[3] : program)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static async Task WaitForPort(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(50);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Random() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
