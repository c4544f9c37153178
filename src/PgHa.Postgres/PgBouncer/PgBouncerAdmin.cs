using System.Globalization;

namespace PgHa.Postgres.PgBouncer;

/// <summary>Where pgbouncer's admin console listens and the admin_users account to use. ToString omits the password.</summary>
public sealed record PgBouncerAdminEndpoint(string Host, int Port, string User)
{
    public string? Password { get; init; }

    /// <summary>Bounds login and every command except PAUSE, which has its own timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    public string Address => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => $"{User}@{Address}/pgbouncer";
}

/// <summary>A row of SHOW DATABASES.</summary>
public sealed record PgBouncerDatabase(
    string Name,
    string? Host,
    int? Port,
    string? Database,
    string? ForceUser,
    int? PoolSize,
    string? PoolMode,
    int? MaxConnections,
    int? CurrentConnections,
    bool Paused,
    bool Disabled);

/// <summary>A row of SHOW POOLS: one pool per (database, user).</summary>
public sealed record PgBouncerPool(
    string Database,
    string User,
    int ClientsActive,
    int ClientsWaiting,
    int ServersActive,
    int ServersIdle,
    int ServersUsed,
    int ServersTested,
    int ServersLogin,
    TimeSpan MaxWait,
    string? PoolMode);

/// <summary>
/// pgbouncer's admin console (virtual database "pgbouncer"). Each call opens its own short admin session:
/// PAUSE/RESUME state is global in pgbouncer and survives the session that set it.
/// </summary>
public sealed class PgBouncerAdmin(PgBouncerAdminEndpoint endpoint)
{
    public PgBouncerAdminEndpoint Endpoint { get; } = endpoint;

    public async Task<IReadOnlyList<PgBouncerDatabase>> ShowDatabasesAsync(CancellationToken cancellationToken = default) =>
        Databases(await SingleResultAsync("SHOW DATABASES", cancellationToken).ConfigureAwait(false));

    private static List<PgBouncerDatabase> Databases(SimpleQueryResult result)
    {
        var row = new ColumnReader(result);
        return result.Rows.Select(r => new PgBouncerDatabase(
            Name: row.Text(r, "name") ?? "",
            Host: row.Text(r, "host") is { Length: > 0 } host ? host : null,
            Port: row.Int(r, "port"),
            Database: row.Text(r, "database"),
            ForceUser: row.Text(r, "force_user") is { Length: > 0 } fu ? fu : null,
            PoolSize: row.Int(r, "pool_size"),
            PoolMode: row.Text(r, "pool_mode") is { Length: > 0 } pm ? pm : null,
            MaxConnections: row.Int(r, "max_connections"),
            CurrentConnections: row.Int(r, "current_connections"),
            Paused: row.Int(r, "paused") is > 0,
            Disabled: row.Int(r, "disabled") is > 0)).ToList();
    }

    public async Task<IReadOnlyList<PgBouncerPool>> ShowPoolsAsync(CancellationToken cancellationToken = default)
    {
        var result = await SingleResultAsync("SHOW POOLS", cancellationToken).ConfigureAwait(false);
        var row = new ColumnReader(result);
        return result.Rows.Select(r => new PgBouncerPool(
            Database: row.Text(r, "database") ?? "",
            User: row.Text(r, "user") ?? "",
            ClientsActive: row.Int(r, "cl_active") ?? 0,
            ClientsWaiting: row.Int(r, "cl_waiting") ?? 0,
            ServersActive: row.Int(r, "sv_active") ?? 0,
            ServersIdle: row.Int(r, "sv_idle") ?? 0,
            ServersUsed: row.Int(r, "sv_used") ?? 0,
            ServersTested: row.Int(r, "sv_tested") ?? 0,
            ServersLogin: row.Int(r, "sv_login") ?? 0,
            MaxWait: TimeSpan.FromSeconds(row.Int(r, "maxwait") ?? 0) + TimeSpan.FromMicroseconds(row.Int(r, "maxwait_us") ?? 0),
            PoolMode: row.Text(r, "pool_mode"))).ToList();
    }

    /// <summary>SHOW VERSION, e.g. "PgBouncer 1.18.0".</summary>
    public async Task<string> ShowVersionAsync(CancellationToken cancellationToken = default)
    {
        var result = await SingleResultAsync("SHOW VERSION", cancellationToken).ConfigureAwait(false);
        return result.Rows.Count > 0 && result.Rows[0].Count > 0 && result.Rows[0][0] is { } version
            ? version
            : throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation, $"pgbouncer on {Endpoint.Address} returned no version");
    }

    /// <summary>
    /// PAUSE [db]: pgbouncer waits until every server connection of the database(s) is released, then holds new
    /// queries. The command returns only when that drain is complete, so it gets its own bound.
    /// Measured with pgbouncer 1.18: a client whose pool has never had a server connection, logging in during
    /// PAUSE, waits server_login_retry (15 s) after RESUME; pools with live traffic resume at once.
    /// </summary>
    public Task PauseAsync(string? database = null, TimeSpan? drainTimeout = null, CancellationToken cancellationToken = default) =>
        CommandAsync(WithDatabase("PAUSE", database), drainTimeout ?? TimeSpan.FromSeconds(30), cancellationToken);

    public Task ResumeAsync(string? database = null, CancellationToken cancellationToken = default) =>
        CommandAsync(WithDatabase("RESUME", database), Endpoint.Timeout, cancellationToken);

    /// <summary>
    /// RELOAD (re-reads pgbouncer.ini and the auth_file), then SHOW DATABASES in the same admin session: the routes
    /// pgbouncer uses from now on, for one login instead of two (a switchover does this inside its pause).
    /// </summary>
    public async Task<IReadOnlyList<PgBouncerDatabase>> ReloadAsync(CancellationToken cancellationToken = default)
    {
        var results = await SessionAsync(["RELOAD", "SHOW DATABASES"], Endpoint.Timeout, cancellationToken).ConfigureAwait(false);
        return Databases(FirstWithRows(results[1], "SHOW DATABASES"));
    }

    /// <summary>Runs any admin console command (e.g. "SHOW CLIENTS") and returns its results as text.</summary>
    public async Task<IReadOnlyList<SimpleQueryResult>> ExecuteAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await SessionAsync([command], timeout ?? Endpoint.Timeout, cancellationToken).ConfigureAwait(false))[0];

    // Several commands, one after the other, in one admin session; the limit bounds the session's commands together.
    private async Task<IReadOnlyList<SimpleQueryResult>[]> SessionAsync(string[] commands, TimeSpan limit, CancellationToken cancellationToken)
    {
        foreach (var command in commands)
            if (command.Contains('\n') || command.Contains('\r') || command.Contains(';'))
                throw new ArgumentException("One admin command per call, on one line.", nameof(commands));
        await using var connection = await SimpleQueryConnection.OpenAsync(
            Endpoint.Host, Endpoint.Port, "pgbouncer", Endpoint.User, Endpoint.Password, Endpoint.Timeout, cancellationToken).ConfigureAwait(false);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        var results = new IReadOnlyList<SimpleQueryResult>[commands.Length];
        var current = commands[0];
        try
        {
            for (var i = 0; i < commands.Length; i++)
            {
                current = commands[i];
                results[i] = await connection.QueryAsync(current, bounded.Token).ConfigureAwait(false);
            }
            return results;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PgBouncerAdminException(PgBouncerErrorKind.Timeout,
                $"pgbouncer on {Endpoint.Address} did not complete '{current}' within {limit.TotalSeconds:0.#} s", null, e);
        }
        catch (IOException e)
        {
            throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation,
                $"pgbouncer on {Endpoint.Address} dropped the admin session during '{current}': {e.Message}", null, e);
        }
    }

    private async Task CommandAsync(string command, TimeSpan timeout, CancellationToken cancellationToken) =>
        await ExecuteAsync(command, timeout, cancellationToken).ConfigureAwait(false);

    private async Task<SimpleQueryResult> SingleResultAsync(string command, CancellationToken cancellationToken) =>
        FirstWithRows(await ExecuteAsync(command, null, cancellationToken).ConfigureAwait(false), command);

    private SimpleQueryResult FirstWithRows(IReadOnlyList<SimpleQueryResult> results, string command) =>
        results.FirstOrDefault(r => r.Columns.Count > 0)
        ?? throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation, $"pgbouncer on {Endpoint.Address} returned no rows for '{command}'");

    private static string WithDatabase(string verb, string? database)
    {
        if (database is null) return verb;
        // The admin console has no parameters; only plain names go into the command text.
        if (!PgBouncerConfig.IsPlainName(database))
            throw new ArgumentException($"'{database}' is not a plain database name.", nameof(database));
        return $"{verb} {database}";
    }

    private sealed class ColumnReader(SimpleQueryResult result)
    {
        public string? Text(IReadOnlyList<string?> row, string column)
        {
            var ordinal = result.Ordinal(column);
            return ordinal >= 0 && ordinal < row.Count ? row[ordinal] : null;
        }

        public int? Int(IReadOnlyList<string?> row, string column) =>
            Text(row, column) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? (int)Math.Clamp(value, int.MinValue, int.MaxValue)
                : null;
    }
}
