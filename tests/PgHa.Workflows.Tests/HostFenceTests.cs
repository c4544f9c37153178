using Microsoft.Extensions.DependencyInjection;
using PgHa.ThrowawayPostgres;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Workflows.Tests;

/// <summary>
/// Pending fences as several servers sharing one store see them: a fence is claimed by exactly one server at a time
/// (an atomic conditional UPDATE), a failed attempt is retried, a done fence is never claimed again, a rebuild clears it.
/// </summary>
public sealed class HostFenceTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private async Task<(EngineHarness A, EngineHarness B)> TwoServersAsync(string store)
    {
        if (store == "postgres")
        {
            var cs = server.CreateDatabase("fences");
            return (await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs)), await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs)));
        }
        var file = Path.Combine(Directory.CreateTempSubdirectory("pgha-fences-").FullName, "pgha.db");
        return (await EngineHarness.StartAsync(store: new StoreLocation.Sqlite(file)), await EngineHarness.StartAsync(store: new StoreLocation.Sqlite(file)));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_claims_of_one_pending_fence_from_two_servers_grant_it_once(string store)
    {
        var (a, b) = await TwoServersAsync(store);
        await using (a)
        await using (b)
        {
            var fencesA = a.Services.GetRequiredService<HostFences>();
            var fencesB = b.Services.GetRequiredService<HostFences>();
            await fencesA.RecordAsync("lab", "pgha-master", "unplanned failover", "run run-1", null, CancellationToken.None);

            for (var round = 0; round < 20; round++)
            {
                var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                    (i % 2 == 0 ? fencesA : fencesB).TryClaimAsync("lab", "pgha-master", $"server-{i}", TimeSpan.FromMinutes(1), CancellationToken.None)));
                Assert.Equal(1, claims.Count(c => c));
                var winner = $"server-{Array.IndexOf(claims, true)}";
                // The attempt fails: the fence stays outstanding and the next round may take it.
                await fencesB.CompleteAsync("lab", "pgha-master", winner, done: false, "host answered but ssh failed", CancellationToken.None);
            }
            var failed = (await fencesA.ForClusterAsync("lab", CancellationToken.None)).Single();
            Assert.Equal((HostFenceStates.Failed, 20), (failed.State, failed.Attempts));

            Assert.True(await fencesA.TryClaimAsync("lab", "pgha-master", "server-a", TimeSpan.FromMinutes(1), CancellationToken.None));
            // Someone else's completion does not count; the holder's does.
            await fencesB.CompleteAsync("lab", "pgha-master", "server-b", done: true, "not mine", CancellationToken.None);
            Assert.Equal(HostFenceStates.Failed, (await fencesB.ForClusterAsync("lab", CancellationToken.None)).Single().State);
            await fencesA.CompleteAsync("lab", "pgha-master", "server-a", done: true, "postgres stopped", CancellationToken.None);
            var done = (await fencesB.ForClusterAsync("lab", CancellationToken.None)).Single();
            Assert.Equal((HostFenceStates.Done, "postgres stopped"), (done.State, done.Result));
            Assert.NotNull(done.CarriedOutAt);
            Assert.Empty(await fencesB.OutstandingAsync(CancellationToken.None));
            Assert.False(await fencesB.TryClaimAsync("lab", "pgha-master", "server-b", TimeSpan.FromMinutes(1), CancellationToken.None));

            Assert.True(await fencesB.ClearAsync("lab", "pgha-master", CancellationToken.None));
            Assert.Empty(await fencesA.ForClusterAsync("lab", CancellationToken.None));
        }
    }

    [Fact]
    public async Task An_expired_claim_of_a_server_that_died_is_taken_over()
    {
        await using var a = await EngineHarness.StartAsync();
        var fences = a.Services.GetRequiredService<HostFences>();
        await fences.RecordAsync("lab", "pgha-master", "unplanned failover", "run run-1", null, CancellationToken.None);
        Assert.True(await fences.TryClaimAsync("lab", "pgha-master", "dead-server", TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.False(await fences.TryClaimAsync("lab", "pgha-master", "live-server", TimeSpan.FromMinutes(1), CancellationToken.None));
        await Task.Delay(400);
        Assert.True(await fences.TryClaimAsync("lab", "pgha-master", "live-server", TimeSpan.FromMinutes(1), CancellationToken.None));
    }
}
