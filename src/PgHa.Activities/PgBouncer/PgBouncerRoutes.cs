using Npgsql;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Activities.PgBouncer;

/// <summary>Where a pgbouncer sends its clients, seen the way a client sees it: by connecting through it.</summary>
public static class PgBouncerRoutes
{
    /// <summary>Which server a new client of <paramref name="database"/> lands on through this pgbouncer.</summary>
    public static async Task<(string Address, bool InRecovery)> RouteAsync(ClusterHosts cluster, HostRef bouncer, string database, CancellationToken ct)
    {
        var endpoint = cluster.AppEndpoint(bouncer, database, throughPgBouncer: true);
        await using var connection = await PostgresProbe.OpenAsync(endpoint, ct);
        await using var command = new NpgsqlCommand("SELECT host(inet_server_addr()), pg_is_in_recovery()", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.IsDBNull(0) ? "local socket" : reader.GetString(0), reader.GetBoolean(1));
    }

    /// <summary>SHOW DATABASES names the target for every replicated database, or this throws naming the first that does not.</summary>
    public static async Task RequireConfiguredAsync(ClusterHosts cluster, HostRef bouncer, HostRef target, CancellationToken ct) =>
        RequireConfigured(cluster, bouncer, target, await cluster.PgBouncerAdmin(bouncer).ShowDatabasesAsync(ct));

    /// <summary>The same check over a SHOW DATABASES already read (e.g. the one RELOAD answers with).</summary>
    public static void RequireConfigured(ClusterHosts cluster, HostRef bouncer, HostRef target, IReadOnlyList<PgBouncerDatabase> shown)
    {
        if (FirstMisrouted(cluster, bouncer, target, shown) is { } wrong) throw new InvalidOperationException(wrong);
    }

    /// <summary>Whether this SHOW DATABASES (pgbouncer's live configuration, not its ini file) routes every replicated database to the target.</summary>
    public static bool IsConfigured(ClusterHosts cluster, HostRef bouncer, HostRef target, IReadOnlyList<PgBouncerDatabase> shown) =>
        FirstMisrouted(cluster, bouncer, target, shown) is null;

    private static string? FirstMisrouted(ClusterHosts cluster, HostRef bouncer, HostRef target, IReadOnlyList<PgBouncerDatabase> shown)
    {
        var inventory = cluster.Inventory;
        foreach (var db in inventory.Databases)
        {
            var row = shown.FirstOrDefault(d => d.Name == db);
            if (row?.Host != target.Address || row.Port != inventory.Ports.Postgres)
                return $"SHOW DATABASES on {bouncer.Name} routes {db} to {row?.Host}:{row?.Port}, not {target.Address}:{inventory.Ports.Postgres}";
        }
        return null;
    }

    /// <summary>
    /// Connects through the pgbouncer to every replicated database until each lands on the target (and, on a primary,
    /// accepts a write), within <paramref name="timeout"/> per database; throws with what it reached otherwise.
    /// </summary>
    public static async Task<Dictionary<string, object>> VerifyAsync(ClusterHosts cluster, HostRef bouncer, HostRef target, TimeSpan timeout,
        string token, Action<string> log, CancellationToken ct)
    {
        var inventory = cluster.Inventory;
        var verified = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var db in inventory.Databases)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                string reached;
                try
                {
                    var (address, inRecovery) = await RouteAsync(cluster, bouncer, db, ct);
                    if (address == target.Address)
                    {
                        var wrote = false;
                        if (!inRecovery)
                        {
                            await new SmokeTokens().WriteAsync(cluster.AppEndpoint(bouncer, db, throughPgBouncer: true), $"{token}-{bouncer.Name}", bouncer.Name + " pgbouncer", ct);
                            wrote = true;
                        }
                        log($"{db} via {bouncer.Address}:{inventory.Ports.PgBouncer} reaches {address} (in recovery: {inRecovery}){(wrote ? ", write accepted" : "")}");
                        verified[db] = new { serverAddress = address, inRecovery, wrote };
                        break;
                    }
                    reached = $"reaches {address}, not the target {target.Address}";
                }
                catch (Exception e) when (e is PostgresProbeException or NpgsqlException or TimeoutException
                                              && ConnectionFailureClassifier.Classify(e) != ConnectionFailureKind.AuthenticationFailed)
                {
                    // Right after RESUME pgbouncer may still be waiting to open its next server connection: the login
                    // or the first query through it fails or times out for a moment. A refused password never heals.
                    reached = "cannot be used yet: " + e.Message;
                }
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"{db} through pgbouncer on {bouncer.Name} {reached} (still so after {timeout.TotalSeconds:0} s)");
                log($"{db} via {bouncer.Address}:{inventory.Ports.PgBouncer} {reached}; retrying");
                await Task.Delay(200, ct);
            }
        }
        return verified;
    }

    /// <summary>True when the admin console refused a command because pgbouncer already is in the asked state.</summary>
    public static bool IsAlreadyInState(PgBouncerAdminException e) =>
        e.Kind == PgBouncerErrorKind.CommandRejected
        && (e.Message.Contains("already", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not paused", StringComparison.OrdinalIgnoreCase));
}
