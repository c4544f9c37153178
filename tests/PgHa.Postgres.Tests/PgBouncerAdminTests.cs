using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Postgres.Tests;

[Collection(PgClusterCollection.Name)]
public sealed class PgBouncerAdminTests(PgClusterFixture cluster)
{
    [Fact]
    public async Task Admin_console_answers_show_version_databases_and_pools()
    {
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin);
        Assert.StartsWith("PgBouncer 1.", await admin.ShowVersionAsync());

        var databases = await admin.ShowDatabasesAsync();
        var postgres = Assert.Single(databases, d => d.Name == "postgres");
        Assert.Equal("127.0.0.1", postgres.Host);
        Assert.Equal(cluster.PrimaryPort, postgres.Port);
        Assert.Equal("postgres", postgres.Database);
        Assert.False(postgres.Paused);
        Assert.False(postgres.Disabled);
        Assert.Contains(databases, d => d.Name == "pgbouncer");

        // A session through pgbouncer creates the (postgres, postgres) pool.
        await using (var connection = await PostgresProbe.OpenAsync(cluster.ThroughBouncer))
        await using (var command = new NpgsqlCommand("SELECT 1", connection))
            Assert.Equal(1, await command.ExecuteScalarAsync());
        var pools = await admin.ShowPoolsAsync();
        var pool = Assert.Single(pools, p => p.Database == "postgres" && p.User == "postgres");
        Assert.Equal("transaction", pool.PoolMode); // the default: held client connections survive a switchover
        Assert.True(pool.ServersIdle + pool.ServersUsed + pool.ServersActive >= 1, $"no server connection in {pool}");
    }

    [Fact]
    public async Task Reload_makes_show_databases_reflect_the_rewritten_config_and_routes_follow()
    {
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin);
        PgBouncerDatabaseEntry primary = new("postgres", "127.0.0.1", cluster.PrimaryPort, "postgres");
        await cluster.WriteBouncerConfig([primary, new("standby_ro", "127.0.0.1", cluster.StandbyPort, "postgres")]);
        try
        {
            Assert.DoesNotContain(await admin.ShowDatabasesAsync(), d => d.Name == "standby_ro"); // not before RELOAD
            await admin.ReloadAsync();

            var standbyRo = Assert.Single(await admin.ShowDatabasesAsync(), d => d.Name == "standby_ro");
            Assert.Equal(cluster.StandbyPort, standbyRo.Port);
            Assert.Equal("postgres", standbyRo.Database);

            // The route is real: a session to standby_ro lands on a server in recovery.
            await using var connection = await PostgresProbe.OpenAsync(cluster.ThroughBouncer.WithDatabase("standby_ro"));
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
            Assert.Equal(true, await command.ExecuteScalarAsync());
        }
        finally
        {
            await cluster.WriteBouncerConfig([primary]);
            await admin.ReloadAsync();
        }
        Assert.DoesNotContain(await admin.ShowDatabasesAsync(), d => d.Name == "standby_ro");
    }

    [Fact]
    public async Task Pause_holds_a_new_query_until_resume()
    {
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin);
        // Warm the pool first, as live traffic does: pgbouncer stalls a first-ever login made during PAUSE for
        // server_login_retry after RESUME, because the server connection it opened was closed for the pause.
        await using (var warm = await PostgresProbe.OpenAsync(cluster.ThroughBouncer))
        await using (var command = new NpgsqlCommand("SELECT 42", warm))
            await command.ExecuteScalarAsync();
        await admin.PauseAsync("postgres", TimeSpan.FromSeconds(10));
        Task<object?> query;
        Stopwatch sinceResume;
        try
        {
            Assert.True(Assert.Single(await admin.ShowDatabasesAsync(), d => d.Name == "postgres").Paused);
            query = Task.Run(async () =>
            {
                await using var connection = await PostgresProbe.OpenAsync(cluster.ThroughBouncer);
                await using var command = new NpgsqlCommand("SELECT 42", connection);
                return await command.ExecuteScalarAsync();
            });
            // pgbouncer's own word that the client is held: it waits in the paused pool.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!(await admin.ShowPoolsAsync()).Any(p => p.Database == "postgres" && p.ClientsWaiting > 0))
            {
                Assert.False(query.IsCompleted, $"query finished while pgbouncer was paused: {query.Status} {query.Exception?.InnerException?.Message}");
                Assert.True(DateTime.UtcNow < deadline, "the client never showed up as waiting in SHOW POOLS");
                await Task.Delay(20);
            }
            Assert.False(query.IsCompleted, $"query finished while pgbouncer was paused: {query.Status} {query.Exception?.InnerException?.Message}");
        }
        finally
        {
            sinceResume = Stopwatch.StartNew();
            await admin.ResumeAsync("postgres");
        }
        Assert.Equal(42, await query.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(sinceResume.Elapsed < TimeSpan.FromSeconds(3), $"query took {sinceResume.Elapsed.TotalMilliseconds:F0} ms after RESUME");
        Assert.False(Assert.Single(await admin.ShowDatabasesAsync(), d => d.Name == "postgres").Paused);
    }

    [Fact]
    public async Task Wrong_admin_password_is_a_typed_auth_failure_without_the_secret()
    {
        const string wrong = "wrong-pgb-password";
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin with { Password = wrong });
        var ex = await Assert.ThrowsAsync<PgBouncerAdminException>(() => admin.ShowVersionAsync());
        Assert.Equal(PgBouncerErrorKind.AuthenticationFailed, ex.Kind);
        Assert.StartsWith($"pgbouncer on 127.0.0.1:{cluster.BouncerPort} refused admin login for user {PgClusterFixture.BouncerAdminUser}: ", ex.Message);
        Assert.DoesNotContain(wrong, ex.Message);
        Assert.DoesNotContain(cluster.BouncerAdminPassword, ex.Message);
        Assert.DoesNotContain(wrong, admin.Endpoint.ToString());
    }

    [Fact]
    public async Task A_user_outside_admin_users_is_refused()
    {
        var admin = new PgBouncerAdmin(new PgBouncerAdminEndpoint("127.0.0.1", cluster.BouncerPort, "postgres") { Password = cluster.SuperPassword });
        var ex = await Assert.ThrowsAsync<PgBouncerAdminException>(() => admin.ShowDatabasesAsync());
        Assert.Equal(PgBouncerErrorKind.AuthenticationFailed, ex.Kind);
        Assert.DoesNotContain(cluster.SuperPassword, ex.Message);
    }

    [Fact]
    public async Task Closed_port_is_a_typed_refusal()
    {
        var port = PgClusterFixture.FreePort();
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin with { Port = port });
        var ex = await Assert.ThrowsAsync<PgBouncerAdminException>(() => admin.ReloadAsync());
        Assert.Equal(PgBouncerErrorKind.Refused, ex.Kind);
        Assert.StartsWith($"pgbouncer on 127.0.0.1:{port} refused the connection", ex.Message);
    }

    [Fact]
    public async Task A_silent_peer_is_a_typed_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin with { Port = ((IPEndPoint)silent.LocalEndpoint).Port, Timeout = TimeSpan.FromMilliseconds(500) });
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<PgBouncerAdminException>(() => admin.ShowPoolsAsync());
        Assert.Equal(PgBouncerErrorKind.Timeout, ex.Kind);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task An_unknown_command_is_rejected_with_pgbouncers_reason()
    {
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin);
        var ex = await Assert.ThrowsAsync<PgBouncerAdminException>(() => admin.ExecuteAsync("SHOW NONSENSE"));
        Assert.Equal(PgBouncerErrorKind.CommandRejected, ex.Kind);
        Assert.Contains("SHOW NONSENSE", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => admin.PauseAsync("postgres; SHUTDOWN"));
    }
}
