using Npgsql;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Postgres.Tests;

/// <summary>The facts a switchover preflight rests on, read from a real primary, standbys and pgbouncer.</summary>
[Collection(PgClusterCollection.Name)]
public sealed class PreflightProbeTests(PgClusterFixture cluster)
{
    private readonly PostgresProbe _probe = new();

    [Fact]
    public async Task A_standby_that_is_up_but_cut_off_from_its_primary_is_in_no_WAL_sender_row()
    {
        await using var standby = await PostgresProbe.OpenAsync(cluster.Standby);
        var conninfo = (string)(await new NpgsqlCommand("SHOW primary_conninfo", standby).ExecuteScalarAsync())!;
        Assert.NotEmpty(conninfo);
        await SetPrimaryConninfoAsync(standby, "");
        try
        {
            var senders = await ServerProbeTests.PollAsync(() => _probe.GetReplicationAsync(cluster.PrimaryMonitor),
                rows => rows.All(r => r.ApplicationName != PgClusterFixture.StandbyClusterName), TimeSpan.FromSeconds(10));
            Assert.DoesNotContain(senders, r => r.ApplicationName == PgClusterFixture.StandbyClusterName || r.ClientAddress is null);

            // Still up and still a standby: a role check alone would call it fine.
            var state = await _probe.GetServerStateAsync(cluster.StandbyMonitor);
            Assert.True(state.InRecovery);
            var receiver = await _probe.GetWalReceiverAsync(cluster.StandbyMonitor);
            Assert.NotEqual("streaming", receiver?.Status);
        }
        finally
        {
            await SetPrimaryConninfoAsync(standby, conninfo);
        }
        var back = await ServerProbeTests.PollAsync(() => _probe.GetReplicationAsync(cluster.PrimaryMonitor),
            rows => rows.Any(r => r.ApplicationName == PgClusterFixture.StandbyClusterName && r.State == "streaming"), TimeSpan.FromSeconds(15));
        Assert.Contains(back, r => r.ApplicationName == PgClusterFixture.StandbyClusterName && r.State == "streaming" && r.ClientAddress == "127.0.0.1");
    }

    [Fact]
    public async Task A_promoted_standby_reports_its_new_timeline_at_once_while_the_primary_stays_on_its_own()
    {
        const string name = "pgha_promoted";
        var clone = await cluster.StartExtraStandbyAsync(name);
        try
        {
            var before = await ServerProbeTests.PollAsync(() => _probe.GetServerStateAsync(clone), s => s.Timeline is not null, TimeSpan.FromSeconds(10));
            Assert.True(before.InRecovery);
            Assert.Equal(1, before.Timeline);

            await cluster.PromoteExtraStandbyAsync(name);
            var after = await ServerProbeTests.PollAsync(() => _probe.GetServerStateAsync(clone), s => !s.InRecovery, TimeSpan.FromSeconds(15));
            Assert.False(after.InRecovery);
            // Before its first checkpoint a promoted server's pg_control still says timeline 1; the WAL file name does not.
            Assert.Equal(2, after.Timeline);
            Assert.Equal(TimelineSource.CurrentWalFile, after.TimelineSource);

            var primary = await _probe.GetServerStateAsync(cluster.PrimaryMonitor);
            Assert.Equal(1, primary.Timeline);
            var standby = await _probe.GetServerStateAsync(cluster.StandbyMonitor);
            Assert.Equal(primary.Timeline, standby.Timeline);
        }
        finally
        {
            await cluster.StopExtraStandbyAsync(name);
        }
    }

    [Fact]
    public async Task A_global_PAUSE_is_not_in_SHOW_DATABASES_but_holds_a_client_query_through_the_pooler()
    {
        var admin = new PgBouncerAdmin(cluster.BouncerAdmin);
        var through = cluster.ThroughBouncer with { Timeout = TimeSpan.FromSeconds(2) };
        Assert.True((await _probe.IsUpAsync(through)).IsUp);

        await admin.PauseAsync(null, TimeSpan.FromSeconds(10));
        try
        {
            // pgbouncer 1.18 keeps the whole-pooler pause out of the per-database column and has no SHOW STATE.
            Assert.False(Assert.Single(await admin.ShowDatabasesAsync(), d => d.Name == "postgres").Paused);
            var held = await _probe.IsUpAsync(through);
            Assert.False(held.IsUp);
            Assert.Equal(ConnectionFailureKind.Timeout, held.Failure);
        }
        finally
        {
            await admin.ResumeAsync();
        }
        var served = await ServerProbeTests.PollAsync(() => _probe.IsUpAsync(through), r => r.IsUp, TimeSpan.FromSeconds(20));
        Assert.True(served.IsUp, served.ToString());
    }

    private static async Task SetPrimaryConninfoAsync(NpgsqlConnection standby, string conninfo)
    {
        // ALTER SYSTEM takes no parameters; the value is the standby's own setting (no password: it uses a passfile).
        await using var set = new NpgsqlCommand($"ALTER SYSTEM SET primary_conninfo = '{conninfo.Replace("'", "''")}'", standby);
        await set.ExecuteNonQueryAsync();
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", standby);
        await reload.ExecuteScalarAsync();
    }
}
