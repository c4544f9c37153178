using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PgHa.Postgres.Tests;

[Collection(PgClusterCollection.Name)]
public sealed class ServerProbeTests(PgClusterFixture cluster)
{
    private readonly PostgresProbe _probe = new();

    [Fact]
    public async Task Primary_and_standby_report_their_role_positions_and_timeline()
    {
        var primary = await _probe.GetServerStateAsync(cluster.PrimaryMonitor);
        Assert.Equal(ServerRole.Primary, primary.Role);
        Assert.False(primary.InRecovery);
        Assert.StartsWith("15.", primary.ServerVersion);
        Assert.InRange(primary.ServerVersionNumber, 150000, 159999);
        Assert.Equal("pgha_primary", primary.ClusterName);
        Assert.NotNull(primary.CurrentLsn);
        Assert.Null(primary.ReplayLsn); // a primary replays nothing: NULL, not 0/0
        Assert.Null(primary.ReceiveLsn);
        Assert.Null(primary.ReplayPaused);
        Assert.Equal(1, primary.Timeline);
        Assert.Equal(TimelineSource.CurrentWalFile, primary.TimelineSource);

        var standby = await _probe.GetServerStateAsync(cluster.StandbyMonitor);
        Assert.Equal(ServerRole.Standby, standby.Role);
        Assert.True(standby.InRecovery);
        Assert.Equal(PgClusterFixture.StandbyClusterName, standby.ClusterName);
        Assert.Null(standby.CurrentLsn);
        Assert.NotNull(standby.ReceiveLsn);
        Assert.NotNull(standby.ReplayLsn);
        Assert.False(standby.ReplayPaused);
        Assert.Equal(1, standby.Timeline);
        Assert.Equal(TimelineSource.WalReceiver, standby.TimelineSource);
        Assert.True(standby.ReplayLsn <= primary.CurrentLsn, $"standby replayed {standby.ReplayLsn} beyond primary {primary.CurrentLsn}");
    }

    [Fact]
    public async Task Lsn_advances_on_writes_and_the_standby_catches_up()
    {
        var before = (await _probe.GetServerStateAsync(cluster.PrimaryMonitor)).CurrentLsn!.Value;
        var write = await new SmokeTokens().WriteAsync(cluster.Primary, SmokeTokens.NewToken(), "lsn-test");
        Assert.True(write.CommitLsn > before, $"{write.CommitLsn} should be past {before}");
        Assert.True(write.CommitLsn - before > 0);

        var wait = await _probe.WaitForLsnAsync(cluster.StandbyMonitor, write.CommitLsn, TimeSpan.FromSeconds(10));
        Assert.True(wait.Reached, wait.ToString());
        Assert.True(wait.LastSeen >= write.CommitLsn);
        Assert.Equal(0, wait.RemainingBytes);

        var received = await _probe.WaitForLsnAsync(cluster.StandbyMonitor, write.CommitLsn, TimeSpan.FromSeconds(10), StandbyPosition.Received);
        Assert.True(received.Reached, received.ToString());
    }

    [Fact]
    public async Task WaitForLsn_is_bounded_and_reports_the_last_position_seen()
    {
        var primary = await _probe.GetServerStateAsync(cluster.PrimaryMonitor);
        var unreachable = primary.CurrentLsn!.Value + (1L << 40); // a terabyte of WAL nobody will write
        var clock = Stopwatch.StartNew();
        var wait = await _probe.WaitForLsnAsync(cluster.StandbyMonitor, unreachable, TimeSpan.FromMilliseconds(600));
        clock.Stop();

        Assert.False(wait.Reached);
        Assert.NotNull(wait.LastSeen);
        Assert.True(wait.Polls > 1);
        Assert.True(wait.RemainingBytes > (1L << 39));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(3));
        Assert.Contains(wait.LastSeen.ToString()!, wait.ToString());
    }

    [Fact]
    public async Task WaitForLsn_on_a_primary_never_treats_null_as_caught_up()
    {
        var wait = await _probe.WaitForLsnAsync(cluster.PrimaryMonitor, new Lsn(1), TimeSpan.FromMilliseconds(300));
        Assert.False(wait.Reached);
        Assert.Null(wait.LastSeen);
        Assert.Null(wait.RemainingBytes);
        Assert.Contains("NULL", wait.LastError);
    }

    [Fact]
    public async Task Pg_stat_replication_shows_the_standby_streaming()
    {
        var write = await new SmokeTokens().WriteAsync(cluster.Primary, SmokeTokens.NewToken(), "replication-test");
        Assert.True((await _probe.WaitForLsnAsync(cluster.StandbyMonitor, write.CommitLsn, TimeSpan.FromSeconds(10))).Reached);

        var senders = await _probe.GetReplicationAsync(cluster.PrimaryMonitor);
        var standby = Assert.Single(senders, s => s.ApplicationName == PgClusterFixture.StandbyClusterName);
        Assert.Equal("streaming", standby.State);
        Assert.Equal("async", standby.SyncState);
        Assert.Equal("replicator", standby.UserName);
        Assert.Equal("127.0.0.1", standby.ClientAddress);
        Assert.NotNull(standby.SentLsn);
        Assert.NotNull(standby.SenderCurrentLsn);
        Assert.True(standby.SentLsn >= write.CommitLsn);
        Assert.NotNull(standby.SendLagBytes);
        Assert.InRange(standby.SendLagBytes!.Value, 0, 16 * 1024 * 1024);

        // The standby has no one streaming from it.
        Assert.Empty(await _probe.GetReplicationAsync(cluster.StandbyMonitor));
    }

    [Fact]
    public async Task Wal_receiver_reports_streaming_from_the_primary_through_the_slot()
    {
        var receiver = await _probe.GetWalReceiverAsync(cluster.StandbyMonitor);
        Assert.NotNull(receiver);
        Assert.Equal("streaming", receiver.Status);
        Assert.Equal("127.0.0.1", receiver.SenderHost);
        Assert.Equal(cluster.PrimaryPort, receiver.SenderPort);
        Assert.Equal(PgClusterFixture.SlotName, receiver.SlotName);
        Assert.Equal(1, receiver.ReceivedTimeline);
        Assert.NotNull(receiver.FlushedLsn);

        Assert.Null(await _probe.GetWalReceiverAsync(cluster.PrimaryMonitor));
    }

    [Fact]
    public async Task The_physical_slot_is_active_on_the_primary()
    {
        var slot = Assert.Single(await _probe.GetReplicationSlotsAsync(cluster.PrimaryMonitor), s => s.SlotName == PgClusterFixture.SlotName);
        Assert.Equal("physical", slot.SlotType);
        Assert.True(slot.Active);
        Assert.NotNull(slot.ActivePid);
        Assert.NotNull(slot.RestartLsn);
        Assert.Equal("reserved", slot.WalStatus);
        Assert.NotNull(slot.RetainedBytes);
        Assert.True(slot.RetainedBytes >= 0);
    }

    [Fact]
    public async Task Lag_is_unknown_not_zero_while_the_standby_is_stopped()
    {
        var lagWhileUp = await _probe.GetStandbyLagAsync(cluster.PrimaryMonitor, cluster.StandbyMonitor);
        Assert.Null(lagWhileUp.Unknown);
        Assert.NotNull(lagWhileUp.ReplayLagBytes);

        await cluster.StopStandbyAsync();
        try
        {
            var lag = await _probe.GetStandbyLagAsync(cluster.PrimaryMonitor, cluster.StandbyMonitor with { Timeout = TimeSpan.FromSeconds(2) });
            Assert.Null(lag.ReplayLagBytes);
            Assert.Null(lag.ReceiveLagBytes);
            Assert.NotNull(lag.PrimaryCurrentLsn);
            Assert.Contains("refused", lag.Unknown);

            var up = await _probe.IsUpAsync(cluster.StandbyMonitor);
            Assert.False(up.IsUp);
            Assert.Equal(ConnectionFailureKind.Refused, up.Failure);

            // The primary has lost its WAL sender: no row, so nothing claims the standby is caught up.
            var senders = await PollAsync(() => _probe.GetReplicationAsync(cluster.PrimaryMonitor), rows => rows.Count == 0, TimeSpan.FromSeconds(5));
            Assert.Empty(senders);
            var slot = Assert.Single(await _probe.GetReplicationSlotsAsync(cluster.PrimaryMonitor), s => s.SlotName == PgClusterFixture.SlotName);
            Assert.False(slot.Active);
        }
        finally
        {
            await cluster.StartStandbyAsync();
        }
        var streaming = await PollAsync(() => _probe.GetWalReceiverAsync(cluster.StandbyMonitor), r => r?.Status == "streaming", TimeSpan.FromSeconds(15));
        Assert.Equal("streaming", streaming?.Status);
    }

    [Fact]
    public async Task IsUp_tells_up_refused_auth_failure_and_timeout_apart()
    {
        var up = await _probe.IsUpAsync(cluster.PrimaryMonitor);
        Assert.True(up.IsUp, up.Message);
        Assert.Null(up.Failure);

        var refused = await _probe.IsUpAsync(cluster.PrimaryMonitor with { Port = PgClusterFixture.FreePort() });
        Assert.Equal(ConnectionFailureKind.Refused, refused.Failure);

        const string wrong = "not-the-password-42";
        var auth = await _probe.IsUpAsync(cluster.PrimaryMonitor with { Password = wrong });
        Assert.Equal(ConnectionFailureKind.AuthenticationFailed, auth.Failure);
        Assert.Contains("pgha_monitor", auth.Message);
        Assert.Contains($"127.0.0.1:{cluster.PrimaryPort}", auth.Message);
        Assert.DoesNotContain(wrong, auth.Message);

        // A socket that accepts (kernel backlog) but never answers: a hung server or a black-holed link.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var clock = Stopwatch.StartNew();
        var hung = await _probe.IsUpAsync(cluster.PrimaryMonitor with { Port = ((IPEndPoint)silent.LocalEndpoint).Port, Timeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(ConnectionFailureKind.Timeout, hung.Failure);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Probe_failures_are_typed_and_free_of_secrets()
    {
        var ex = await Assert.ThrowsAsync<PostgresProbeException>(() =>
            _probe.GetServerStateAsync(cluster.PrimaryMonitor with { Password = "bad-secret-value" }));
        Assert.Equal(ConnectionFailureKind.AuthenticationFailed, ex.Kind);
        Assert.Equal("28P01", ex.SqlState);
        Assert.DoesNotContain("bad-secret-value", ex.Message);
        Assert.DoesNotContain("bad-secret-value", ex.Endpoint);
    }

    internal static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            T value;
            try { value = await read(); }
            catch (PostgresProbeException) when (clock.Elapsed < timeout) { await Task.Delay(100); continue; }
            if (done(value) || clock.Elapsed > timeout) return value;
            await Task.Delay(100);
        }
    }
}
