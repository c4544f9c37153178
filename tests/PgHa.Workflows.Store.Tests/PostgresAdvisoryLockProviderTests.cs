using Npgsql;
using static PgHa.Workflows.Store.Tests.Samples;

namespace PgHa.Workflows.Store.Tests;

/// <summary>Two lock providers on one database stand for two engine nodes.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAdvisoryLockProviderTests(PostgresServer server)
{
    private static PostgresAdvisoryLockProvider Node(string cs) => new(cs, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_lock_held_by_one_node_is_refused_to_another_until_released()
    {
        var cs = server.CreateDatabase("locks");
        await using var a = Node(cs);
        await using var b = Node(cs);
        await a.Start();
        await b.Start();
        var id = Guid.NewGuid().ToString(); // a WorkflowCore instance id: too long for a key, so hashed

        Assert.True(await a.AcquireLock(id, CancellationToken.None));
        Assert.False(await b.AcquireLock(id, CancellationToken.None));
        Assert.False(await a.AcquireLock(id, CancellationToken.None)); // not re-entrant, like WorkflowCore's single-node lock
        Assert.True(await b.AcquireLock("poll runnables", CancellationToken.None)); // other ids are independent

        await a.ReleaseLock(id);
        Assert.True(await b.AcquireLock(id, CancellationToken.None));
        Assert.False(await a.AcquireLock(id, CancellationToken.None));
        await b.ReleaseLock(id);
        await b.ReleaseLock(id); // releasing twice is harmless
        Assert.True(await a.AcquireLock(id, CancellationToken.None));
    }

    [Fact]
    public async Task Stop_releases_every_lock_the_node_holds()
    {
        var cs = server.CreateDatabase("locks");
        var a = Node(cs);
        await using var b = Node(cs);
        var ids = Enumerable.Range(0, 40).Select(i => $"wf-{i}-{Guid.NewGuid()}").ToList();
        foreach (var id in ids) Assert.True(await a.AcquireLock(id, CancellationToken.None));
        foreach (var id in ids) Assert.False(await b.AcquireLock(id, CancellationToken.None));

        await a.Stop(); // no ReleaseLock calls

        foreach (var id in ids) Assert.True(await b.AcquireLock(id, CancellationToken.None));
    }

    [Fact]
    public async Task Locks_die_with_the_session_of_a_node_whose_connection_is_killed()
    {
        var cs = server.CreateDatabase("locks");
        var nodeA = new NpgsqlConnectionStringBuilder(cs) { ApplicationName = "pgha-node-a-" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString;
        await using var a = Node(nodeA);
        await using var b = Node(cs);
        var id = Guid.NewGuid().ToString();
        Assert.True(await a.AcquireLock(id, CancellationToken.None));
        Assert.False(await b.AcquireLock(id, CancellationToken.None));

        // What a crashed node or a dropped network looks like to the server: its sessions end.
        var killed = PostgresServer.Scalar(cs,
            $"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 30000)) FROM pg_stat_activity WHERE application_name = '{new NpgsqlConnectionStringBuilder(nodeA).ApplicationName}'");
        Assert.True(Convert.ToInt64(killed) >= 1);

        Assert.True(await b.AcquireLock(id, CancellationToken.None));
        await b.ReleaseLock(id);

        // Node A, whose work ends in a release as WorkflowCore's always does: releasing the dead handle does not throw,
        // and A can take the lock again.
        await a.ReleaseLock(id);
        Assert.True(await a.AcquireLock(id, CancellationToken.None));
        Assert.False(await b.AcquireLock(id, CancellationToken.None));
        await a.ReleaseLock(id);
        Assert.True(await b.AcquireLock(id, CancellationToken.None));
    }

    [Fact]
    public async Task Locks_are_released_when_the_holding_provider_is_disposed_without_releasing()
    {
        var cs = server.CreateDatabase("locks");
        var a = Node(cs);
        await using var b = Node(cs);
        var id = Guid.NewGuid().ToString();
        Assert.True(await a.AcquireLock(id, CancellationToken.None));

        await a.DisposeAsync();

        Assert.True(await b.AcquireLock(id, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_acquires_of_one_id_from_two_nodes_grant_it_exactly_once()
    {
        var cs = server.CreateDatabase("locks");
        await using var a = Node(cs);
        await using var b = Node(cs);
        for (var round = 0; round < 20; round++)
        {
            var id = $"race-{round}-{Guid.NewGuid()}";
            var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).AcquireLock(id, CancellationToken.None))).ToList();
            var granted = (await Task.WhenAll(attempts)).Count(x => x);
            Assert.Equal(1, granted);
        }
    }
}
