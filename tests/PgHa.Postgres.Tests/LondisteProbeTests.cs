using Npgsql;

namespace PgHa.Postgres.Tests;

/// <summary>
/// A Londiste cascade (PgQ 3.5, pgq_node 3.5, londiste 3.8 from Debian) in two databases of the fixture's primary:
/// a root node with a registered leaf subscriber, and a leaf with one table. The worker's side is played with the
/// same PgQ calls a Londiste worker makes (next_batch/finish_batch); the probe reads as a role with only the grants
/// the deployment gives the application role (pg_monitor, pgq_writer on the provider, nothing on the leaf).
/// </summary>
[Collection(PgClusterCollection.Name)]
public sealed class LondisteProbeTests(PgClusterFixture cluster) : IAsyncLifetime
{
    private const string Queue = "queue_pf";
    private const string Root = "root_pf";
    private const string Leaf = "leaf_pf";
    private readonly string _rootDb = "pf_root_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _leafDb = "pf_leaf_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _appRole = "pf_app_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _appPassword = Guid.NewGuid().ToString("N");
    private readonly LondisteProbe _probe = new();

    private PostgresEndpoint App(string database) => cluster.Primary.WithDatabase(database).WithUser(_appRole, _appPassword);

    public async Task InitializeAsync()
    {
        // CREATE DATABASE refuses to run inside the implicit transaction of a multi-statement batch.
        await ExecAsync("postgres", $"CREATE DATABASE {_rootDb}");
        await ExecAsync("postgres", $"CREATE DATABASE {_leafDb}");
        await ExecAsync("postgres", $"CREATE ROLE {_appRole} LOGIN PASSWORD '{_appPassword}' IN ROLE pg_monitor");
        await ExecAsync(_rootDb, $"""
            CREATE EXTENSION pgq; CREATE EXTENSION pgq_node;
            GRANT pgq_writer TO {_appRole};
            SELECT pgq_node.register_location('{Queue}', '{Root}', 'dbname={_rootDb}', false);
            SELECT pgq_node.register_location('{Queue}', '{Leaf}', 'dbname={_leafDb}', false);
            SELECT pgq_node.create_node('{Queue}', 'root', '{Root}', '{Root}', null, null, null);
            SELECT pgq_node.register_subscriber('{Queue}', '{Leaf}', '{Leaf}', null);
            """);
        await ExecAsync(_leafDb, $"""
            CREATE EXTENSION pgq; CREATE EXTENSION pgq_node; CREATE EXTENSION londiste;
            SELECT pgq_node.register_location('{Queue}', '{Root}', 'dbname={_rootDb}', false);
            SELECT pgq_node.register_location('{Queue}', '{Leaf}', 'dbname={_leafDb}', false);
            SELECT pgq_node.create_node('{Queue}', 'leaf', '{Leaf}', '{Leaf}', '{Root}', 1, null);
            CREATE TABLE public.orders (id int PRIMARY KEY);
            SELECT londiste.global_add_table('{Queue}', 'public.orders');
            SELECT londiste.local_add_table('{Queue}', 'public.orders');
            """);
    }

    public async Task DisposeAsync()
    {
        await ExecAsync("postgres", $"DROP DATABASE IF EXISTS {_rootDb} WITH (FORCE)");
        await ExecAsync("postgres", $"DROP DATABASE IF EXISTS {_leafDb} WITH (FORCE)");
        await ExecAsync("postgres", $"DROP ROLE IF EXISTS {_appRole}");
    }

    [Fact]
    public async Task A_consumer_behind_the_newest_tick_is_not_caught_up_until_it_finishes_its_batches()
    {
        // Three events: PgQ counts them off its event sequence, whose first nextval leaves last_value where it was.
        for (var id = 1; id <= 3; id++) await ExecAsync(_rootDb, $"SELECT pgq.insert_event('{Queue}', 'I:id', 'id={id}')");
        // pgqd would wait for ticker_max_lag (3 s) before ticking a few events; force_tick makes the next tick due now.
        await ExecAsync(_rootDb, $"SELECT pgq.force_tick('{Queue}')");
        await ExecAsync(_rootDb, $"SELECT pgq.ticker('{Queue}')");

        var behind = await _probe.GetSubscriptionAsync(App(_rootDb), Queue, Leaf);
        Assert.True(behind.QueueExists);
        Assert.True(behind.ConsumerRegistered);
        Assert.Equal(Leaf, behind.WorkerName);
        Assert.NotNull(behind.NewestTick);
        Assert.True(behind.ConsumerLastTick < behind.NewestTick, $"last tick {behind.ConsumerLastTick}, newest {behind.NewestTick}");
        Assert.False(behind.CaughtUp);
        Assert.True(behind.PendingEvents > 0, $"pending {behind.PendingEvents}");
        Assert.NotNull(behind.ConsumerLag);
        Assert.Equal(TimeSpan.FromMinutes(1), behind.TickerIdlePeriod);

        await ConsumeEverythingAsync(Leaf);
        var caughtUp = await _probe.GetSubscriptionAsync(App(_rootDb), Queue, Leaf);
        Assert.True(caughtUp.CaughtUp);
        Assert.Equal(caughtUp.NewestTick, caughtUp.ConsumerLastTick);
        Assert.Equal(0, caughtUp.PendingEvents);
        Assert.InRange(caughtUp.ConsumerLastSeen!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.InRange(caughtUp.TickerLag!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_node_that_never_subscribed_and_a_missing_queue_come_back_as_facts_not_errors()
    {
        var stranger = await _probe.GetSubscriptionAsync(App(_rootDb), Queue, "leaf_nobody");
        Assert.True(stranger.QueueExists);
        Assert.False(stranger.ConsumerRegistered);
        Assert.Null(stranger.WorkerName);
        Assert.Null(stranger.ConsumerLag);
        Assert.False(stranger.CaughtUp);

        var noQueue = await _probe.GetSubscriptionAsync(App(_rootDb), "queue_nothing", Leaf);
        Assert.False(noQueue.QueueExists);
        Assert.False(noQueue.ConsumerRegistered);
        Assert.Null(noQueue.NewestTick);
    }

    [Fact]
    public async Task A_database_without_PgQ_is_a_typed_probe_failure_naming_the_queue()
    {
        var ex = await Assert.ThrowsAsync<PostgresProbeException>(() => _probe.GetSubscriptionAsync(App("postgres"), Queue, Leaf));
        Assert.Equal(ConnectionFailureKind.ServerError, ex.Kind);
        Assert.Contains(Queue, ex.Message);
        Assert.DoesNotContain(_appPassword, ex.Message);
    }

    [Fact]
    public async Task Leaf_tables_report_their_copy_state_until_the_copy_is_done()
    {
        var copying = Assert.Single(await _probe.GetTablesAsync(App(_leafDb), Queue));
        Assert.Equal("public.orders", copying.Name);
        Assert.True(copying.Local);
        Assert.Null(copying.MergeState); // added, the copy not started yet
        Assert.False(copying.InSync);

        await ExecAsync(_leafDb, $"SELECT londiste.local_set_table_state('{Queue}', 'public.orders', null, 'in-copy')");
        Assert.Equal("in-copy", Assert.Single(await _probe.GetTablesAsync(App(_leafDb), Queue)).MergeState);

        await ExecAsync(_leafDb, $"SELECT londiste.local_set_table_state('{Queue}', 'public.orders', null, 'ok')");
        Assert.True(Assert.Single(await _probe.GetTablesAsync(App(_leafDb), Queue)).InSync);

        Assert.Empty(await _probe.GetTablesAsync(App(_leafDb), "queue_nothing"));
    }

    /// <summary>What a Londiste worker does on its provider: take batches until none is left, finishing each.</summary>
    private async Task ConsumeEverythingAsync(string consumer)
    {
        await using var connection = await PostgresProbe.OpenAsync(cluster.Primary.WithDatabase(_rootDb));
        while (true)
        {
            await using var next = new NpgsqlCommand("SELECT pgq.next_batch(@q, @c)", connection);
            next.Parameters.AddWithValue("q", Queue);
            next.Parameters.AddWithValue("c", consumer);
            if (await next.ExecuteScalarAsync() is not long batch) return;
            await using var finish = new NpgsqlCommand("SELECT pgq.finish_batch(@b)", connection);
            finish.Parameters.AddWithValue("b", batch);
            await finish.ExecuteScalarAsync();
        }
    }

    private async Task ExecAsync(string database, string sql)
    {
        await using var connection = await PostgresProbe.OpenAsync(cluster.Primary.WithDatabase(database));
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
