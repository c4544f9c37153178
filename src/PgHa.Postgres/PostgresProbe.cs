using System.Diagnostics;
using Npgsql;

namespace PgHa.Postgres;

/// <summary>
/// Read-only questions a DBA asks a PostgreSQL 15 server during a runbook: is it up, primary or standby,
/// where is its WAL, who streams from it, what does its WAL receiver do. Every call opens a fresh
/// connection (no pooling) bounded by <see cref="PostgresEndpoint.Timeout"/>.
/// The monitoring user needs the pg_monitor role for full pg_stat_* and pg_control_* visibility.
/// </summary>
public sealed class PostgresProbe
{
    public async Task<Reachability> IsUpAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await using var connection = await OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
            // A completed login proves more than an open port: the postmaster accepts sessions.
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            try
            {
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                // Logged in but the query is held or refused, e.g. by a paused pgbouncer: not up, and why.
                throw PostgresProbeException.ForQuery(endpoint, "SELECT 1", e);
            }
            return new Reachability(true, null, "up", clock.Elapsed, connection.PostgreSqlVersion.ToString());
        }
        catch (PostgresProbeException e)
        {
            return new Reachability(false, e.Kind, e.Message, clock.Elapsed, null);
        }
    }

    private const string ServerStateSql = """
        WITH r AS (SELECT pg_is_in_recovery() AS in_recovery)
        SELECT r.in_recovery,
               current_setting('server_version'),
               current_setting('server_version_num')::int,
               nullif(current_setting('cluster_name'), ''),
               CASE WHEN NOT r.in_recovery THEN pg_current_wal_lsn()::text END,
               CASE WHEN NOT r.in_recovery THEN pg_walfile_name(pg_current_wal_lsn()) END,
               pg_last_wal_receive_lsn()::text,
               pg_last_wal_replay_lsn()::text,
               pg_last_xact_replay_timestamp(),
               CASE WHEN r.in_recovery THEN pg_is_wal_replay_paused() END,
               (SELECT received_tli FROM pg_stat_wal_receiver),
               (pg_control_checkpoint()).timeline_id,
               now()
        FROM r
        """;

    public async Task<ServerState> GetServerStateAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(ServerStateSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var inRecovery = reader.GetBoolean(0);
            int? timeline;
            TimelineSource? source;
            if (!inRecovery)
            {
                // timeline_id of pg_control_checkpoint() stays on the old timeline until the first checkpoint after promotion.
                timeline = Lsn.TimelineFromWalFileName(reader.GetString(5));
                source = TimelineSource.CurrentWalFile;
            }
            else if (!reader.IsDBNull(10))
            {
                timeline = reader.GetInt32(10);
                source = TimelineSource.WalReceiver;
            }
            else
            {
                timeline = reader.IsDBNull(11) ? null : reader.GetInt32(11);
                source = timeline is null ? null : TimelineSource.Checkpoint;
            }

            return new ServerState(
                Role: inRecovery ? ServerRole.Standby : ServerRole.Primary,
                InRecovery: inRecovery,
                ServerVersion: reader.GetString(1),
                ServerVersionNumber: reader.GetInt32(2),
                ClusterName: NullableString(reader, 3),
                Timeline: timeline,
                TimelineSource: source,
                CurrentLsn: NullableLsn(reader, 4),
                ReceiveLsn: NullableLsn(reader, 6),
                ReplayLsn: NullableLsn(reader, 7),
                LastReplayedTransactionAt: NullableTimestamp(reader, 8),
                ReplayPaused: reader.IsDBNull(9) ? null : reader.GetBoolean(9),
                ServerTime: reader.GetFieldValue<DateTimeOffset>(12));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(endpoint, "Reading server state", e);
        }
    }

    private const string ReplicationSql = """
        SELECT pid, usename::text, coalesce(application_name, ''), host(client_addr), state, sync_state,
               sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text,
               write_lag, flush_lag, replay_lag, reply_time,
               CASE WHEN NOT pg_is_in_recovery() THEN pg_current_wal_lsn()::text END
        FROM pg_stat_replication
        ORDER BY application_name, pid
        """;

    /// <summary>Rows of pg_stat_replication: the WAL senders of this server. Empty when nobody streams from it.</summary>
    public async Task<IReadOnlyList<ReplicationConnection>> GetReplicationAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var rows = new List<ReplicationConnection>();
        await using var connection = await OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(ReplicationSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new ReplicationConnection(
                    Pid: reader.GetInt32(0),
                    UserName: NullableString(reader, 1),
                    ApplicationName: reader.GetString(2),
                    ClientAddress: NullableString(reader, 3),
                    State: NullableString(reader, 4),
                    SyncState: NullableString(reader, 5),
                    SentLsn: NullableLsn(reader, 6),
                    WriteLsn: NullableLsn(reader, 7),
                    FlushLsn: NullableLsn(reader, 8),
                    ReplayLsn: NullableLsn(reader, 9),
                    WriteLag: NullableInterval(reader, 10),
                    FlushLag: NullableInterval(reader, 11),
                    ReplayLag: NullableInterval(reader, 12),
                    ReplyTime: NullableTimestamp(reader, 13),
                    SenderCurrentLsn: NullableLsn(reader, 14)));
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(endpoint, "Reading pg_stat_replication", e);
        }
        return rows;
    }

    private const string WalReceiverSql = """
        SELECT pid, status, receive_start_lsn::text, receive_start_tli, written_lsn::text, flushed_lsn::text,
               received_tli, last_msg_send_time, last_msg_receipt_time, latest_end_lsn::text,
               slot_name, sender_host, sender_port
        FROM pg_stat_wal_receiver
        """;

    /// <summary>pg_stat_wal_receiver of a standby; null when no WAL receiver runs (a primary, or a standby not streaming).</summary>
    public async Task<WalReceiverStatus?> GetWalReceiverAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(WalReceiverSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            // Without pg_monitor (or superuser) PostgreSQL hides the columns behind NULLs and pid.
            if (reader.IsDBNull(1))
                throw new PostgresProbeException(endpoint, ConnectionFailureKind.ServerError,
                    $"pg_stat_wal_receiver on {endpoint} hides its columns from user {endpoint.User}; grant pg_monitor.", null);
            return new WalReceiverStatus(
                Pid: reader.GetInt32(0),
                Status: reader.GetString(1),
                ReceiveStartLsn: NullableLsn(reader, 2),
                ReceiveStartTimeline: reader.IsDBNull(3) ? null : reader.GetInt32(3),
                WrittenLsn: NullableLsn(reader, 4),
                FlushedLsn: NullableLsn(reader, 5),
                ReceivedTimeline: reader.IsDBNull(6) ? null : reader.GetInt32(6),
                LastMessageSentAt: NullableTimestamp(reader, 7),
                LastMessageReceivedAt: NullableTimestamp(reader, 8),
                LatestEndLsn: NullableLsn(reader, 9),
                SlotName: NullableString(reader, 10),
                SenderHost: NullableString(reader, 11),
                SenderPort: reader.IsDBNull(12) ? null : reader.GetInt32(12));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(endpoint, "Reading pg_stat_wal_receiver", e);
        }
    }

    private const string SlotsSql = """
        SELECT slot_name::text, slot_type, plugin::text, database::text, temporary, active, active_pid,
               restart_lsn::text, confirmed_flush_lsn::text, wal_status, safe_wal_size,
               CASE WHEN NOT pg_is_in_recovery() AND restart_lsn IS NOT NULL
                    THEN pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END
        FROM pg_replication_slots
        ORDER BY slot_name
        """;

    public async Task<IReadOnlyList<ReplicationSlot>> GetReplicationSlotsAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var rows = new List<ReplicationSlot>();
        await using var connection = await OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(SlotsSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new ReplicationSlot(
                    SlotName: reader.GetString(0),
                    SlotType: reader.GetString(1),
                    Plugin: NullableString(reader, 2),
                    Database: NullableString(reader, 3),
                    Temporary: reader.GetBoolean(4),
                    Active: reader.GetBoolean(5),
                    ActivePid: reader.IsDBNull(6) ? null : reader.GetInt32(6),
                    RestartLsn: NullableLsn(reader, 7),
                    ConfirmedFlushLsn: NullableLsn(reader, 8),
                    WalStatus: NullableString(reader, 9),
                    SafeWalSizeBytes: reader.IsDBNull(10) ? null : reader.GetInt64(10),
                    RetainedBytes: reader.IsDBNull(11) ? null : reader.GetInt64(11)));
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(endpoint, "Reading pg_replication_slots", e);
        }
        return rows;
    }

    /// <summary>
    /// Compares the primary's current LSN with the standby's received/replayed LSN. Any side that cannot be read
    /// (unreachable, wrong role, NULL) leaves the lag null and says why in <see cref="StandbyLag.Unknown"/>.
    /// </summary>
    public async Task<StandbyLag> GetStandbyLagAsync(PostgresEndpoint primary, PostgresEndpoint standby, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        Lsn? current = null, received = null, replayed = null;
        try
        {
            var p = await GetServerStateAsync(primary, cancellationToken).ConfigureAwait(false);
            if (p.Role != ServerRole.Primary) problems.Add($"{primary} is not a primary");
            else current = p.CurrentLsn;
        }
        catch (PostgresProbeException e) { problems.Add(e.Message); }

        try
        {
            var s = await GetServerStateAsync(standby, cancellationToken).ConfigureAwait(false);
            if (s.Role != ServerRole.Standby) problems.Add($"{standby} is not a standby");
            else { received = s.ReceiveLsn; replayed = s.ReplayLsn; }
        }
        catch (PostgresProbeException e) { problems.Add(e.Message); }

        if (problems.Count == 0 && (received is null || replayed is null))
            problems.Add($"{standby} reports no received/replayed WAL position");
        return new StandbyLag(current, received, replayed, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    /// <summary>
    /// Waits until a standby has received or replayed WAL up to <paramref name="target"/>, polling on one
    /// connection (reconnecting after errors, e.g. while the standby restarts). Bounded by <paramref name="timeout"/>;
    /// on timeout the result carries the last position seen and the last error. A NULL position never counts as reached.
    /// </summary>
    public async Task<LsnWaitResult> WaitForLsnAsync(
        PostgresEndpoint standby,
        Lsn target,
        TimeSpan timeout,
        StandbyPosition position = StandbyPosition.Replayed,
        TimeSpan? pollInterval = null,
        CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        var clock = Stopwatch.StartNew();
        var sql = position == StandbyPosition.Replayed ? "SELECT pg_last_wal_replay_lsn()::text" : "SELECT pg_last_wal_receive_lsn()::text";
        Lsn? lastSeen = null;
        string? lastError = null;
        var polls = 0;
        NpgsqlConnection? connection = null;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                polls++;
                try
                {
                    // Each attempt gets only the time that is left, so the whole wait stays bounded.
                    var left = timeout - clock.Elapsed;
                    if (left <= TimeSpan.Zero) break;
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    attempt.CancelAfter(left < standby.Timeout ? left : standby.Timeout);
                    connection ??= await OpenAsync(standby, attempt.Token).ConfigureAwait(false);
                    await using var command = new NpgsqlCommand(sql, connection);
                    var value = await command.ExecuteScalarAsync(attempt.Token).ConfigureAwait(false);
                    if (value is string text)
                    {
                        lastSeen = Lsn.Parse(text);
                        lastError = null;
                        if (lastSeen.Value >= target)
                            return new LsnWaitResult(true, target, position, lastSeen, clock.Elapsed, polls, null);
                    }
                    else
                    {
                        // NULL: a primary, or a standby that has not received anything yet. Unknown, keep waiting.
                        lastError = $"{position} LSN is NULL on {standby} (not a standby, or nothing received yet)";
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && clock.Elapsed >= timeout)
                {
                    // The wait's own deadline cut the last poll short: what was seen before it is the answer.
                    break;
                }
                catch (Exception e) when (e is PostgresProbeException or NpgsqlException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    lastError = e.Message;
                    if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }

                var remaining = timeout - clock.Elapsed;
                if (remaining <= TimeSpan.Zero) break;
                await Task.Delay(remaining < interval ? remaining : interval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
        return new LsnWaitResult(false, target, position, lastSeen, clock.Elapsed, polls, lastError);
    }

    /// <summary>Opens a connection, translating failures into a typed <see cref="PostgresProbeException"/>.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(PostgresEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(endpoint.BuildConnectionString());
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Npgsql's Timeout covers the TCP connect; this also bounds TLS and authentication round trips.
            bounded.CancelAfter(endpoint.Timeout);
            await connection.OpenAsync(bounded.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException
                                      or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw PostgresProbeException.ForConnect(endpoint, e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static Lsn? NullableLsn(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Lsn.Parse(reader.GetString(ordinal));

    private static TimeSpan? NullableInterval(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<TimeSpan>(ordinal);

    private static DateTimeOffset? NullableTimestamp(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
