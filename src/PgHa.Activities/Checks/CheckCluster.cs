using System.ComponentModel;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Checks;

public sealed record CheckClusterInput
{
    [Description("Role or host → expected live state: primary, standby (streaming from the primary named here), replica (writable Londiste leaf), up, or down.")]
    [ClusterReference(ClusterReferenceKind.Host, InKeys = true)]
    public required IReadOnlyDictionary<string, string> Expect { get; init; }

    [Description("Largest replay lag in bytes a standby may have; unset = not checked.")]
    public long? MaxLagBytes { get; init; }

    [Description("pgbouncer hosts to inspect (SHOW DATABASES).")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public IReadOnlyList<string> PgbouncerHosts { get; init; } = [];

    [Description("Role or host every pgbouncer in pgbouncerHosts must route to; unset = only reported.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string? PgbouncerTarget { get; init; }

    [Description("In a dry run: fail (a preflight: the plan stops when the cluster is not as expected) or report (a check after steps the dry run only planned: unmet expectations are listed in the plan and the node ends Done).")]
    public string InDryRun { get; init; } = "fail";
}

[Activity("CheckCluster", Description = "Reads every expected host's live state (reachability, pg_is_in_recovery, streaming, lag, timeline) and pgbouncer routes; Failed with the reasons when an expectation does not hold.",
    Category = "Checks")]
[ActivityOutput("snapshot", "Host → reachable, role, timeline, LSNs, WAL receiver, replication rows; pgbouncer host → database → server.")]
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
            bouncers = input.PgbouncerHosts.Count == 0 ? [] : cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts");
            bouncerTarget = input.PgbouncerTarget is null ? null : cluster.Resolve(input.PgbouncerTarget);
            if (input.InDryRun is not ("fail" or "report")) throw new ActivityInputException($"inDryRun: '{input.InDryRun}' must be fail or report");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var ct = context.CancellationToken;
        var probe = new PostgresProbe();
        var db = cluster.Inventory.Databases[0];
        var problems = new List<string>();
        var snapshot = new Dictionary<string, object>(StringComparer.Ordinal);
        var primaryAddresses = expectations.Where(e => e.Expected == "primary").Select(e => e.Host.Address).ToHashSet();

        // Probes are read-only and bounded by the endpoint timeout, so hosts are read one after another for a consistent report.
        foreach (var (host, expected) in expectations)
        {
            var endpoint = cluster.AppEndpoint(host, db);
            var reach = await probe.IsUpAsync(endpoint, ct);
            if (!reach.IsUp)
            {
                context.Log($"{host}: unreachable ({reach})");
                snapshot[host.Name] = new { reachable = false, error = reach.Message };
                if (expected != "down") problems.Add($"{host} is not reachable ({reach.Failure}: {reach.Message}), expected {expected}");
                continue;
            }
            if (expected == "down") problems.Add($"{host} answers on {endpoint.Address}, expected down");
            try
            {
                var state = await probe.GetServerStateAsync(endpoint, ct);
                var receiver = state.InRecovery ? await probe.GetWalReceiverAsync(endpoint, ct) : null;
                var senders = state.InRecovery ? [] : await probe.GetReplicationAsync(endpoint, ct);
                context.Log($"{host}: {(state.InRecovery ? "standby" : "primary")} timeline {state.Timeline} " +
                            (state.InRecovery
                                ? $"receive {state.ReceiveLsn} replay {state.ReplayLsn}; wal receiver {receiver?.Status ?? "none"} from {receiver?.SenderHost}"
                                : $"at {state.CurrentLsn}; {senders.Count} WAL sender(s): " +
                                  string.Join(", ", senders.Select(s => $"{s.ClientAddress} {s.State} replay lag {s.ReplayLagBytes} B"))));
                snapshot[host.Name] = new
                {
                    reachable = true, role = state.InRecovery ? "standby" : "primary", timeline = state.Timeline,
                    currentLsn = state.CurrentLsn?.ToString(), receiveLsn = state.ReceiveLsn?.ToString(), replayLsn = state.ReplayLsn?.ToString(),
                    walReceiver = receiver is null ? null : new { status = receiver.Status, senderHost = receiver.SenderHost, slot = receiver.SlotName },
                    replication = senders.Select(s => new { client = s.ClientAddress, state = s.State, replayLagBytes = s.ReplayLagBytes }).ToList(),
                };
                switch (expected)
                {
                    case "primary" or "replica" when state.InRecovery:
                        problems.Add($"{host} is in recovery (a standby), expected {expected}");
                        break;
                    case "standby" when !state.InRecovery:
                        problems.Add($"{host} is not in recovery (a primary), expected standby");
                        break;
                    case "standby":
                        if (receiver?.Status != "streaming")
                            problems.Add($"{host} WAL receiver is {receiver?.Status ?? "not running"}, expected streaming");
                        else if (primaryAddresses.Count > 0 && !primaryAddresses.Contains(receiver.SenderHost ?? ""))
                            problems.Add($"{host} streams from {receiver.SenderHost}, expected {string.Join(" or ", primaryAddresses)}");
                        break;
                }
                if (expected == "primary" && input.MaxLagBytes is { } max)
                    foreach (var s in senders.Where(s => s.ReplayLagBytes is null || s.ReplayLagBytes > max))
                        problems.Add($"standby {s.ClientAddress} replay lag is {s.ReplayLagBytes?.ToString() ?? "unknown"} bytes, allowed {max}");
            }
            catch (PostgresProbeException e)
            {
                problems.Add($"{host}: {e.Message}");
                snapshot[host.Name] = new { reachable = true, error = e.Message };
            }
        }

        var routes = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var bouncer in bouncers)
        {
            try
            {
                var rows = await cluster.PgBouncerAdmin(bouncer).ShowDatabasesAsync(ct);
                var mine = rows.Where(r => cluster.Inventory.Databases.Contains(r.Name)).ToDictionary(r => r.Name, r => $"{r.Host}:{r.Port}{(r.Paused ? " paused" : "")}");
                routes[bouncer.Name] = mine;
                context.Log($"pgbouncer {bouncer}: " + string.Join(", ", mine.Select(kv => $"{kv.Key} -> {kv.Value}")));
                if (bouncerTarget is not null)
                    foreach (var name in cluster.Inventory.Databases)
                    {
                        var row = rows.FirstOrDefault(r => r.Name == name);
                        if (row?.Host != bouncerTarget.Address)
                            problems.Add($"pgbouncer on {bouncer} routes {name} to {row?.Host ?? "nothing"}, expected {bouncerTarget} ({bouncerTarget.Address})");
                    }
            }
            catch (PgBouncerAdminException e)
            {
                routes[bouncer.Name] = new { error = e.Message };
                problems.Add($"pgbouncer on {bouncer}: {e.Message}");
            }
        }

        var outputs = new { snapshot = new { hosts = snapshot, pgbouncers = routes }, problems };
        if (context.DryRun && input.InDryRun == "report")
        {
            foreach (var p in problems) context.Plan("expects after the planned steps (not so now): " + p);
            return ActivityResult.Done(outputs);
        }
        foreach (var p in problems) context.Log("PROBLEM: " + p);
        return problems.Count == 0 ? ActivityResult.Done(outputs) : ActivityResult.Failed(string.Join("; ", problems), outputs);
    }
}
