using PgHa.Activities.Checks;
using PgHa.Clusters;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Activities.Tests;

/// <summary>The preflight's judgement on plain facts of the kind the probes return (the probes themselves are tested in PgHa.Postgres.Tests).</summary>
public sealed class PreflightRulesTests
{
    private static readonly HostRef Master = new("master", new ClusterHost { Name = "db-a", Address = "10.0.0.1" });
    private static readonly HostRef Slave = new("slave", new ClusterHost { Name = "db-b", Address = "10.0.0.2" });
    private static readonly HostRef Replica = new("replica", new ClusterHost { Name = "db-c", Address = "10.0.0.3" });
    private static readonly Lsn PrimaryAt = Lsn.Parse("0/5000000");

    private static ServerState State(bool inRecovery, int? timeline) => new(
        inRecovery ? ServerRole.Standby : ServerRole.Primary, inRecovery, "15.18", 150018, null, timeline,
        inRecovery ? TimelineSource.WalReceiver : TimelineSource.CurrentWalFile,
        inRecovery ? null : PrimaryAt, inRecovery ? PrimaryAt : null, inRecovery ? PrimaryAt : null, null, inRecovery ? false : null, DateTimeOffset.UtcNow);

    private static ReplicationConnection Sender(string? address, string applicationName, string state = "streaming", Lsn? replayed = null) => new(
        100, "replicator", applicationName, address, state, "async", replayed, replayed, replayed, replayed, null, null, null, null, PrimaryAt);

    private static WalReceiverStatus Receiver(string senderHost, string status = "streaming") => new(
        200, status, null, 1, null, null, 1, null, null, null, "slot", senderHost, 5432);

    private static HostObservation Primary(int timeline = 1, params ReplicationConnection[] senders) =>
        new(Master, "primary") { State = State(false, timeline), Senders = senders };

    private static HostObservation Standby(int timeline = 1, string receiverFrom = "10.0.0.1") =>
        new(Slave, "standby") { State = State(true, timeline), Receiver = Receiver(receiverFrom) };

    [Fact]
    public void A_standby_whose_receiver_says_streaming_but_that_the_primary_does_not_list_fails()
    {
        var problems = PreflightRules.StandbyProblems(Standby(), [Primary()], maxLagBytes: null).ToList();
        var problem = Assert.Single(problems);
        Assert.Contains("slave (db-b) (10.0.0.2) has no WAL sender on master (db-a)", problem);
        Assert.Contains("lists nobody", problem);
    }

    [Fact]
    public void A_standby_listed_by_address_or_by_application_name_within_the_lag_limit_passes()
    {
        Assert.Empty(PreflightRules.StandbyProblems(Standby(), [Primary(1, Sender("10.0.0.2", "walreceiver", replayed: PrimaryAt + -100))], maxLagBytes: 1024));
        // Behind NAT the client address is not the inventory's; the application_name the deployment sets is the host name.
        Assert.Empty(PreflightRules.StandbyProblems(Standby(), [Primary(1, Sender("192.0.2.9", "db-b", replayed: PrimaryAt))], maxLagBytes: 0));
    }

    [Fact]
    public void Lag_is_checked_for_the_expected_standby_only_and_unknown_lag_fails()
    {
        var other = Sender("10.0.0.9", "pg_basebackup", replayed: null);
        var tooFar = PreflightRules.StandbyProblems(Standby(), [Primary(1, other, Sender("10.0.0.2", "db-b", replayed: PrimaryAt + -4096))], maxLagBytes: 1024).ToList();
        Assert.Equal("slave (db-b) replay lag is 4096 bytes on master (db-a), allowed 1024", Assert.Single(tooFar));

        var unknown = PreflightRules.StandbyProblems(Standby(), [Primary(1, Sender("10.0.0.2", "db-b", replayed: null))], maxLagBytes: 1024).ToList();
        Assert.Equal("slave (db-b) replay lag is unknown bytes on master (db-a), allowed 1024", Assert.Single(unknown));
    }

    [Fact]
    public void A_sender_still_catching_up_is_not_streaming()
    {
        var problems = PreflightRules.StandbyProblems(Standby(), [Primary(1, Sender("10.0.0.2", "db-b", "catchup", PrimaryAt))], null).ToList();
        Assert.Equal("WAL sender for slave (db-b) on master (db-a) is catchup, expected streaming", Assert.Single(problems));
    }

    [Fact]
    public void A_standby_on_another_timeline_than_its_primary_fails_naming_both()
    {
        var problems = PreflightRules.StandbyProblems(Standby(timeline: 1), [Primary(2, Sender("10.0.0.2", "db-b", replayed: PrimaryAt))], null).ToList();
        Assert.Equal("slave (db-b) is on timeline 1, its primary master (db-a) on timeline 2", Assert.Single(problems));
    }

    [Fact]
    public void A_standby_cannot_pass_without_a_primary_to_confirm_it()
    {
        Assert.Contains(PreflightRules.StandbyProblems(Standby(), [], null), p => p.Contains("no host is expected primary"));
        var unreadable = new HostObservation(Master, "primary") { Unreachable = "Refused: nothing listens" };
        Assert.Contains(PreflightRules.StandbyProblems(Standby(), [unreadable], null), p => p.Contains("cannot be confirmed"));
    }

    private static LondisteSubscription Subscription(long lastTick = 10, long newestTick = 10, double lagSeconds = 1, double tickerLagSeconds = 1,
        bool queueExists = true, bool registered = true) => new(
        "queue_appdb", "leaf_appdb", queueExists, TimeSpan.FromSeconds(tickerLagSeconds), TimeSpan.FromMinutes(1), newestTick, 0,
        registered ? "leaf_appdb" : null, registered, registered ? TimeSpan.FromSeconds(lagSeconds) : null, TimeSpan.FromSeconds(1),
        registered ? lastTick : null, null, registered ? 0 : null);

    private static LeafObservation Leaf(LondisteSubscription subscription, params LondisteTable[] tables) =>
        new(Replica, "appdb", Master) { Subscription = subscription, Tables = tables.Length == 0 ? [new LondisteTable("public.orders", true, "ok")] : tables };

    [Fact]
    public void A_caught_up_consumer_passes_even_when_the_idle_queue_makes_its_PgQ_lag_large()
    {
        Assert.Empty(PreflightRules.ReplicaProblems(Leaf(Subscription(lagSeconds: 55, tickerLagSeconds: 55)), maxLagSeconds: 5));
    }

    [Fact]
    public void A_consumer_behind_the_newest_tick_for_longer_than_allowed_is_stalled()
    {
        var problem = Assert.Single(PreflightRules.ReplicaProblems(Leaf(Subscription(lastTick: 7, newestTick: 10, lagSeconds: 12.5)), maxLagSeconds: 5));
        Assert.StartsWith("Londiste consumer leaf_appdb of replica (db-c) on queue_appdb is 12.5 s behind (last tick 7, newest 10", problem);
        Assert.EndsWith("allowed 5 s", problem);

        Assert.Empty(PreflightRules.ReplicaProblems(Leaf(Subscription(lastTick: 9, newestTick: 10, lagSeconds: 2)), maxLagSeconds: 5));
    }

    [Fact]
    public void A_missing_queue_a_missing_consumer_and_a_silent_ticker_fail()
    {
        Assert.Contains("does not exist on master (db-a)", Assert.Single(PreflightRules.ReplicaProblems(Leaf(Subscription(queueExists: false, registered: false)), 60)));
        Assert.Contains("is not subscribed to queue_appdb on master (db-a)", Assert.Single(PreflightRules.ReplicaProblems(Leaf(Subscription(registered: false)), 60)));
        Assert.Contains("pgqd has not ticked queue_appdb on master (db-a) for 200 s", Assert.Single(PreflightRules.ReplicaProblems(Leaf(Subscription(tickerLagSeconds: 200, lagSeconds: 200)), 60)));
    }

    [Fact]
    public void Tables_still_copying_or_none_subscribed_fail()
    {
        var copying = PreflightRules.ReplicaProblems(Leaf(Subscription(), new LondisteTable("public.orders", true, "ok"),
            new LondisteTable("public.items", true, "in-copy"), new LondisteTable("public.new", true, null), new LondisteTable("public.elsewhere", false, null)), 60).ToList();
        Assert.Equal(["table public.items on replica (db-c) (appdb) is 'in-copy', not 'ok'", "table public.new on replica (db-c) (appdb) is not copied yet, not 'ok'"], copying);

        var none = PreflightRules.ReplicaProblems(Leaf(Subscription(), new LondisteTable("public.elsewhere", false, null)), 60);
        Assert.Equal("replica (db-c) appdb: the leaf subscribes no table of queue_appdb", Assert.Single(none));
    }

    private static PgBouncerDatabase Route(string name, string host, bool paused = false) => new(name, host, 5432, name, null, 20, "transaction", 0, 1, paused, false);

    private static readonly Reachability Up = new(true, null, "up", TimeSpan.FromMilliseconds(3), "15.18");

    [Fact]
    public void A_paused_pgbouncer_is_a_problem_whether_SHOW_DATABASES_shows_it_or_only_a_client_notices()
    {
        var onePaused = new BouncerObservation(Master) { Databases = [Route("appdb", "10.0.0.1", paused: true)], Served = new Dictionary<string, Reachability> { ["appdb"] = Up } };
        Assert.Equal("pgbouncer on master (db-a) has appdb paused (PAUSE appdb); RESUME it first", Assert.Single(PreflightRules.PgBouncerProblems(onePaused, ["appdb"], Master)));

        var held = new Reachability(false, ConnectionFailureKind.Timeout, "PostgreSQL on 10.0.0.1:6543 did not answer in time", TimeSpan.FromSeconds(5), null);
        var globallyPaused = new BouncerObservation(Master) { Databases = [Route("appdb", "10.0.0.1")], Served = new Dictionary<string, Reachability> { ["appdb"] = held } };
        var problem = Assert.Single(PreflightRules.PgBouncerProblems(globallyPaused, ["appdb"], Master));
        Assert.Contains("does not serve appdb", problem);
        Assert.Contains("paused?", problem);

        var healthy = new BouncerObservation(Master) { Databases = [Route("appdb", "10.0.0.1")], Served = new Dictionary<string, Reachability> { ["appdb"] = Up } };
        Assert.Empty(PreflightRules.PgBouncerProblems(healthy, ["appdb"], Master));
        Assert.Equal("pgbouncer on master (db-a) routes appdb to 10.0.0.1, expected slave (db-b) (10.0.0.2)", Assert.Single(PreflightRules.PgBouncerProblems(healthy, ["appdb"], Slave)));
    }

    [Fact]
    public void Host_expectations_name_the_host_and_the_fact()
    {
        Assert.Equal("slave (db-b) is not in recovery (a primary), expected standby",
            Assert.Single(PreflightRules.HostProblems(new HostObservation(Slave, "standby") { State = State(false, 2) })));
        Assert.Equal("replica (db-c) is in recovery (a standby), expected replica",
            Assert.Single(PreflightRules.HostProblems(new HostObservation(Replica, "replica") { State = State(true, 1) })));
        Assert.Empty(PreflightRules.HostProblems(new HostObservation(Slave, "down") { Unreachable = "Refused: x" }));
        Assert.Equal("master (db-a) is not reachable (Refused: x), expected primary",
            Assert.Single(PreflightRules.HostProblems(new HostObservation(Master, "primary") { Unreachable = "Refused: x" })));
    }
}
