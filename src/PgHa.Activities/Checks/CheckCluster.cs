using System.ComponentModel;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Checks;

public sealed record CheckClusterInput
{
    [Description("Role or host → expected live state: primary, standby (listed as streaming in the expected primary's pg_stat_replication, on its timeline), replica (writable Londiste leaf whose consumer keeps up), up, or down.")]
    public required IReadOnlyDictionary<string, string> Expect { get; init; }

    [Description("Largest replay lag in bytes each expected standby may have on its primary (an unknown lag fails); unset = not checked.")]
    public long? MaxLagBytes { get; init; }

    [Description("Largest PgQ lag in seconds of a replica's Londiste consumer that has not applied the newest tick yet; also how long pgqd may stay silent beyond the queue's idle period.")]
    public double MaxReplicaLagSeconds { get; init; } = 60;

    [Description("pgbouncer hosts to inspect: SHOW DATABASES (paused or disabled fails) and a query through each to every replicated database (a paused pooler does not answer).")]
    public IReadOnlyList<string> PgbouncerHosts { get; init; } = [];

    [Description("Role or host every pgbouncer in pgbouncerHosts must route to; unset = only reported.")]
    public string? PgbouncerTarget { get; init; }
}

[Activity("CheckCluster", Description = "Reads every expected host's live state (reachability, pg_is_in_recovery, timeline, the primary's WAL senders, lag), each replica's Londiste consumer and table states, and the pgbouncers (routes, paused, serving); Failed with the reasons when an expectation does not hold.",
    Category = "Checks")]
[ActivityOutput("snapshot", "hosts: host → reachable, role, timeline, LSNs, WAL receiver, replication rows, londiste (replica: per database consumer lag, last tick, tables); pgbouncers: host → database → server; pgbouncerServing: host → database → whether a query through it was answered.")]
[ActivityOutput("problems", "Expectations that did not hold.")]
public sealed class CheckCluster : Activity<CheckClusterInput>
{
    private static readonly HashSet<string> States = ["primary", "standby", "replica", "up", "down"];

    protected override async Task<ActivityResult> ExecuteAsync(CheckClusterInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        List<(HostRef Host, string Expected)> expectations;
        IReadOnlyList<HostRef> bouncers;
        HostRef? bouncerTarget;
        try
        {
            cluster = ClusterHosts.For(context);
            expectations = input.Expect.Select(kv => (cluster.Resolve(kv.Key),
                States.Contains(kv.Value) ? kv.Value : throw new ActivityInputException($"expect.{kv.Key}: '{kv.Value}' must be one of {string.Join(", ", States)}"))).ToList();
            if (expectations.Count == 0) throw new ActivityInputException("expect: name at least one role or host");
            if (input.MaxLagBytes is not null && expectations.All(e => e.Expected != "standby"))
                throw new ActivityInputException("maxLagBytes: no host is expected standby, so there is no lag to check; expect one or drop maxLagBytes");
            if (input.MaxReplicaLagSeconds is <= 0 or double.NaN)
                throw new ActivityInputException($"maxReplicaLagSeconds: {input.MaxReplicaLagSeconds} must be a positive number of seconds");
            bouncers = input.PgbouncerHosts.Count == 0 ? [] : cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts");
            bouncerTarget = input.PgbouncerTarget is null ? null : cluster.Resolve(input.PgbouncerTarget);
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var reader = new ClusterReader(cluster, context);
        var problems = new List<string>();
        // Probes are read-only and bounded by the endpoint timeout, so hosts are read one after another for a consistent report.
        var hosts = new List<HostObservation>();
        foreach (var (host, expected) in expectations) hosts.Add(await reader.ReadHostAsync(host, expected));
        problems.AddRange(hosts.SelectMany(PreflightRules.HostProblems));

        var primaries = hosts.Where(h => h.Expected == "primary").ToList();
        foreach (var standby in hosts.Where(h => h.Expected == "standby"))
            problems.AddRange(PreflightRules.StandbyProblems(standby, primaries, input.MaxLagBytes));

        // The Londiste root lives on the primary; without an expected one, on the inventory's master.
        var provider = primaries.Count == 1 ? primaries[0].Host
            : primaries.Count == 0 && cluster.Inventory.Roles.ContainsKey("master") ? cluster.Resolve("master") : null;
        var leaves = new List<LeafObservation>();
        foreach (var replica in hosts.Where(h => h is { Expected: "replica", State.InRecovery: false }))
            foreach (var db in cluster.Inventory.Databases)
                leaves.Add(await reader.ReadLeafAsync(replica.Host, db, provider));
        problems.AddRange(leaves.SelectMany(l => PreflightRules.ReplicaProblems(l, input.MaxReplicaLagSeconds)));

        var bouncerReads = new List<BouncerObservation>();
        foreach (var bouncer in bouncers) bouncerReads.Add(await reader.ReadPgBouncerAsync(bouncer));
        problems.AddRange(bouncerReads.SelectMany(b => PreflightRules.PgBouncerProblems(b, cluster.Inventory.Databases, bouncerTarget)));

        var outputs = new { snapshot = PreflightSnapshot.Of(hosts, leaves, bouncerReads, cluster.Inventory.Databases), problems };
        foreach (var p in problems) context.Log("PROBLEM: " + p);
        return problems.Count == 0 ? ActivityResult.Done(outputs) : ActivityResult.Failed(string.Join("; ", problems), outputs);
    }
}
