using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace PgHa.Postgres;

/// <summary>A token written on a primary, with the WAL position a standby must reach to see it.</summary>
public sealed record SmokeTokenWrite(string Token, DateTimeOffset WrittenAt, string? WrittenOn, Lsn CommitLsn);

/// <summary>Outcome of waiting for a token on a standby or replica.</summary>
public sealed record SmokeTokenWait(bool Found, string Token, TimeSpan Elapsed, int Polls, string? LastError);

/// <summary>
/// End-to-end replication check in the tool's own schema <c>pgha_smoke</c>: write a unique token on the primary,
/// look for it on standbys. Never touches user tables. Writes are idempotent (a re-run node writes nothing new).
/// </summary>
public sealed class SmokeTokens
{
    public const string Schema = "pgha_smoke";

    private const string EnsureSql = """
        CREATE SCHEMA IF NOT EXISTS pgha_smoke;
        CREATE TABLE IF NOT EXISTS pgha_smoke.tokens (
            token      text PRIMARY KEY,
            written_at timestamptz NOT NULL DEFAULT now(),
            written_on text
        );
        """;

    /// <summary>"pgha-20260301T140501Z-3fa9c2d1": sortable by time and unique across runs.</summary>
    public static string NewToken(DateTimeOffset? now = null) =>
        $"pgha-{(now ?? DateTimeOffset.UtcNow).UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Creates the schema and table if missing. Must run on the primary.</summary>
    public async Task EnsureSchemaAsync(PostgresEndpoint primary, CancellationToken cancellationToken = default)
    {
        await using var connection = await PostgresProbe.OpenAsync(primary, cancellationToken).ConfigureAwait(false);
        await RequirePrimaryAsync(connection, primary, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, primary, EnsureSql, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="token"/> on the primary (creating the schema if needed) and returns the WAL position
    /// after its commit; a standby whose replay LSN reaches it can see the token.
    /// </summary>
    public async Task<SmokeTokenWrite> WriteAsync(PostgresEndpoint primary, string token, string? writtenOn = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        await using var connection = await PostgresProbe.OpenAsync(primary, cancellationToken).ConfigureAwait(false);
        await RequirePrimaryAsync(connection, primary, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, primary, EnsureSql, cancellationToken).ConfigureAwait(false);
        try
        {
            // ON CONFLICT keeps the first write: a node that runs again after a crash reports the original row.
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO pgha_smoke.tokens (token, written_on) VALUES ($1, $2) ON CONFLICT (token) DO NOTHING", connection))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = token });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)writtenOn ?? DBNull.Value });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // After a synchronous commit the WAL write position is past the commit record.
            await using var read = new NpgsqlCommand(
                "SELECT written_at, written_on, pg_current_wal_lsn()::text FROM pgha_smoke.tokens WHERE token = $1", connection);
            read.Parameters.Add(new NpgsqlParameter { Value = token });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new SmokeTokenWrite(token, reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetString(1), Lsn.Parse(reader.GetString(2)));
        }
        catch (NpgsqlException e)
        {
            throw PostgresProbeException.ForQuery(primary, "Writing smoke token", e);
        }
    }

    /// <summary>True if the token is visible on this server. False also when the table does not exist there yet.</summary>
    public async Task<bool> IsPresentAsync(PostgresEndpoint server, string token, CancellationToken cancellationToken = default)
    {
        await using var connection = await PostgresProbe.OpenAsync(server, cancellationToken).ConfigureAwait(false);
        return await IsPresentAsync(connection, server, token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls a standby/replica until the token appears or <paramref name="timeout"/> passes.</summary>
    public async Task<SmokeTokenWait> WaitForTokenAsync(
        PostgresEndpoint server, string token, TimeSpan timeout, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        var clock = Stopwatch.StartNew();
        var polls = 0;
        string? lastError = null;
        while (true)
        {
            polls++;
            try
            {
                if (await IsPresentAsync(server, token, cancellationToken).ConfigureAwait(false))
                    return new SmokeTokenWait(true, token, clock.Elapsed, polls, null);
                lastError = null;
            }
            catch (PostgresProbeException e)
            {
                lastError = e.Message;
            }
            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero) return new SmokeTokenWait(false, token, clock.Elapsed, polls, lastError);
            await Task.Delay(remaining < interval ? remaining : interval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> IsPresentAsync(NpgsqlConnection connection, PostgresEndpoint server, string token, CancellationToken cancellationToken)
    {
        try
        {
            // Checked first and separately: the planner resolves the table name even inside an untaken CASE branch,
            // and a standby may not have replayed the CREATE TABLE yet.
            await using (var exists = new NpgsqlCommand("SELECT to_regclass('pgha_smoke.tokens') IS NOT NULL", connection))
                if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                    return false;
            await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pgha_smoke.tokens WHERE token = $1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = token });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException e)
        {
            throw PostgresProbeException.ForQuery(server, "Looking for smoke token", e);
        }
    }

    private static async Task RequirePrimaryAsync(NpgsqlConnection connection, PostgresEndpoint endpoint, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            throw new PostgresProbeException(endpoint, ConnectionFailureKind.ServerError,
                $"{endpoint} is a standby (in recovery); smoke tokens are written on the primary only.", null);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, PostgresEndpoint endpoint, string sql, CancellationToken cancellationToken)
    {
        try
        {
            await using var batch = new NpgsqlCommand(sql, connection);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw PostgresProbeException.ForQuery(endpoint, $"Preparing schema {Schema}", e);
        }
    }
}
