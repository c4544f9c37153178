using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace PgHa.ThrowawayPostgres;

/// <summary>
/// A throwaway PostgreSQL 15 on 127.0.0.1 and a free port, run as the unprivileged `postgres` OS user when the tests
/// run as root (the server refuses root). Password authentication, so connection strings carry a secret like real
/// ones. Stopped with `pg_ctl stop -m fast` and its directory deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private string _root = "";
    private string DataDir => Path.Combine(_root, "data");
    private string LogFile => Path.Combine(_root, "server.log");
    private bool _started;

    public int Port { get; private set; }
    public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N");
    public const string User = "postgres";

    public string ConnectionString(string database, string? applicationName = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = User,
        Password = Password,
        ApplicationName = applicationName,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 binaries are not in {BinDir}.");
        _root = Directory.CreateTempSubdirectory("pgha-pg-").FullName;
        var passwordFile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        if (RunningAsRoot) Run("chown", "-R", "postgres:postgres", _root);

        RunAsPostgres(Path.Combine(BinDir, "initdb"), "-D", DataDir, "-U", User, "--pwfile=" + passwordFile,
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C");
        File.Delete(passwordFile);

        // A free port can be taken between our probe and the server's bind: retry with another.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                RunAsPostgres(Path.Combine(BinDir, "pg_ctl"), "-D", DataDir, "-l", LogFile, "-w", "-t", "60",
                    "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_root} -c fsync=off -c max_connections=200", "start");
                _started = true;
                break;
            }
            catch (InvalidOperationException) when (attempt < 3) { }
        }
    }

    /// <summary>A new empty database; its connection string.</summary>
    public string CreateDatabase(string? prefix = null)
    {
        var name = (prefix ?? "t") + "_" + Guid.NewGuid().ToString("N")[..12];
        using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"CREATE DATABASE \"{name}\"";
        cmd.ExecuteNonQuery();
        return ConnectionString(name);
    }

    public static object? Scalar(string connectionString, string sql)
    {
        using var conn = new NpgsqlConnection(connectionString);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (_started) RunAsPostgres(Path.Combine(BinDir, "pg_ctl"), "-D", DataDir, "-w", "-t", "60", "stop", "-m", "fast");
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return Task.CompletedTask;
    }

    private static bool RunningAsRoot => Environment.UserName == "root";

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private void RunAsPostgres(string exe, params string[] args)
    {
        if (RunningAsRoot) Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    private void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
            throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args.Take(3))} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}\n{log}");
        }
    }
}
