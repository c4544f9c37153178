using Npgsql;

namespace PgHa.Postgres;

/// <summary>
/// Read-only questions about a Londiste cascade (Skytools 3.8 on PgQ 3.5) that need no PgQ role on the leaf:
/// the provider's queue, ticker and the leaf worker's consumer (pgq.get_queue_info, pgq_node.subscriber_info,
/// pgq.get_consumer_info), and the leaf's table states (londiste.table_info, readable by PUBLIC).
/// Reading pgq_node.subscriber_info needs pgq_reader or pgq_writer on the provider.
/// </summary>
public sealed class LondisteProbe
{
    /// <summary>The names the deployment scripts give a replicated database's cascade (see workflows/scripts/pgha_londiste.sh).</summary>
    public static string QueueFor(string database) => "queue_" + database;

    public static string RootNodeFor(string database) => "root_" + database;

    public static string LeafNodeFor(string database) => "leaf_" + database;

    // The consumer row is joined on its name, not passed as a NULL argument: get_consumer_info(q, NULL) means "all consumers".
    private const string SubscriptionSql = """
        SELECT qi.queue_name IS NOT NULL,
               extract(epoch FROM qi.ticker_lag)::float8,
               extract(epoch FROM qi.queue_ticker_idle_period)::float8,
               qi.last_tick_id,
               qi.ev_new,
               s.worker_name,
               c.consumer_name IS NOT NULL,
               extract(epoch FROM c.lag)::float8,
               extract(epoch FROM c.last_seen)::float8,
               c.last_tick,
               c.current_batch,
               c.pending_events
        FROM (SELECT 1) one
        LEFT JOIN pgq.get_queue_info(@queue) qi ON true
        LEFT JOIN pgq_node.subscriber_info s ON s.queue_name = @queue AND s.subscriber_node = @node
        LEFT JOIN LATERAL pgq.get_consumer_info(@queue, s.worker_name) c ON c.consumer_name = s.worker_name
        """;

    /// <summary>
    /// How the provider (the root's database) sees a subscriber node: its queue, the ticker, and the consumer its worker
    /// registered. Missing pieces come back as false/null, never as errors; a missing PgQ schema is a <see cref="PostgresProbeException"/>.
    /// </summary>
    public async Task<LondisteSubscription> GetSubscriptionAsync(PostgresEndpoint provider, string queue, string subscriberNode,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await PostgresProbe.OpenAsync(provider, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(SubscriptionSql, connection);
            command.Parameters.AddWithValue("queue", queue);
            command.Parameters.AddWithValue("node", subscriberNode);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new LondisteSubscription(
                Queue: queue,
                SubscriberNode: subscriberNode,
                QueueExists: reader.GetBoolean(0),
                TickerLag: Seconds(reader, 1),
                TickerIdlePeriod: Seconds(reader, 2),
                NewestTick: NullableLong(reader, 3),
                EventsNotYetTicked: NullableLong(reader, 4),
                WorkerName: reader.IsDBNull(5) ? null : reader.GetString(5),
                ConsumerRegistered: reader.GetBoolean(6),
                ConsumerLag: Seconds(reader, 7),
                ConsumerLastSeen: Seconds(reader, 8),
                ConsumerLastTick: NullableLong(reader, 9),
                CurrentBatch: NullableLong(reader, 10),
                PendingEvents: NullableLong(reader, 11));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(provider, $"Reading PgQ queue {queue} and subscriber {subscriberNode}", e);
        }
    }

    private const string TablesSql = """
        SELECT table_name, local, merge_state
        FROM londiste.table_info
        WHERE queue_name = @queue
        ORDER BY nr, table_name
        """;

    /// <summary>The tables a node knows for a queue, with their copy state; empty when the node registered none.</summary>
    public async Task<IReadOnlyList<LondisteTable>> GetTablesAsync(PostgresEndpoint node, string queue, CancellationToken cancellationToken = default)
    {
        var rows = new List<LondisteTable>();
        await using var connection = await PostgresProbe.OpenAsync(node, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand(TablesSql, connection);
            command.Parameters.AddWithValue("queue", queue);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                rows.Add(new LondisteTable(reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            throw PostgresProbeException.ForQuery(node, $"Reading Londiste tables of {queue}", e);
        }
        return rows;
    }

    private static TimeSpan? Seconds(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : TimeSpan.FromSeconds(reader.GetDouble(ordinal));

    private static long? NullableLong(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
