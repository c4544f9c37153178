using System.ComponentModel;
using PgHa.Activities.Fencing;
using PgHa.Postgres;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;

namespace PgHa.Activities.Checks;

public sealed record CheckSlaveBrokenInput
{
    [Description("Role or host name of the running primary the slave is rebuilt from.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string Master { get; init; } = "master";

    [Description("Role or host name of the slave believed broken.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string Slave { get; init; } = "slave";

    [Description("Replay lag in bytes above which a streaming slave counts as too far behind.")]
    public long MaxLagBytes { get; init; } = 1L << 30;

    [Description("Rebuild even a healthy slave (its data directory is rewound or replaced; the node says so).")]
    public bool Force { get; init; }

    [Description("Seconds each probe may take.")]
    public int TimeoutSeconds { get; init; } = 3;
}

[Activity("CheckSlaveBroken", Description = "Evidence for rebuilding the slave, read-only: the master is a reachable primary, and the slave is fenced, not running, not a standby, not streaming from the master, or too far behind — the node says which. A healthy slave is refused (nothing changed) unless force, and then the node says what the rebuild destroys. A slave whose host does not answer on SSH cannot be rebuilt yet.",
    Category = "Checks")]
[ActivityOutput("reason", "Why the slave is rebuilt: fenced, not running, primary, not streaming, behind, or forced.")]
[ActivityOutput("destroys", "What the rebuild replaces on the slave.")]
[ActivityOutput("summary", "The evidence in one sentence.")]
public sealed class CheckSlaveBroken : Activity<CheckSlaveBrokenInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(CheckSlaveBrokenInput input, ActivityContext context)
    {
        MasterAndSlave pair;
        try
        {
            pair = MasterAndSlave.Resolve(context, input.Master, input.Slave, input.TimeoutSeconds);
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var (cluster, master, slave, timeout) = pair;
        var ct = context.CancellationToken;
        var probe = new PostgresProbe();
        try
        {
            var masterEndpoint = pair.Endpoint(master);
            var reach = await probe.IsUpAsync(masterEndpoint, ct);
            var masterState = reach.IsUp ? await probe.GetServerStateAsync(masterEndpoint, ct) : null;
            if (masterState is not { InRecovery: false })
                return ActivityResult.Failed($"{master} is not a running primary ({(reach.IsUp ? "it is a standby" : reach.ToString())}): the slave is rebuilt from it. " +
                                             "Nothing was changed; if the master is broken, run unplanned-failover-master-broken");

            if (!await HostFencing.AnswersAsync(slave, timeout, ct))
                return ActivityResult.Failed($"{slave}'s host does not answer on SSH within {input.TimeoutSeconds} s: it cannot be rebuilt until it does. Nothing was changed; start this runbook again when it answers");

            var fence = (await ClusterHosts.Service<HostFences>(context).ForClusterAsync(cluster.Inventory.Id, ct)).FirstOrDefault(f => f.Host == slave.Name);
            string? reason = fence is not null ? $"fenced ({fence.State}, recorded by {fence.RecordedBy}: {fence.Reason})" : null;
            var slaveEndpoint = pair.Endpoint(slave);
            var slaveReach = await probe.IsUpAsync(slaveEndpoint, ct);
            if (reason is null && !slaveReach.IsUp) reason = $"not running or not accepting connections ({slaveReach})";
            var slaveState = reason is null ? await probe.GetServerStateAsync(slaveEndpoint, ct) : null;
            if (slaveState is { InRecovery: false })
            {
                if (!input.Force)
                    return ActivityResult.Failed($"{slave} runs as a PRIMARY (timeline {slaveState.Timeline}) next to {master}: two primaries. Nothing was changed; " +
                                                 "decide which one keeps its data — rebuilding the slave discards what was written on it (force=true does that)");
                reason = $"runs as a primary (timeline {slaveState.Timeline}); its writes are discarded";
            }
            if (reason is null)
            {
                var sender = (await probe.GetReplicationAsync(masterEndpoint, ct)).FirstOrDefault(s => s.ClientAddress == slave.Address);
                if (sender is not { State: "streaming" }) reason = $"not streaming from {master.Name} (pg_stat_replication: {sender?.State ?? "no WAL sender for it"})";
                else if (sender.ReplayLagBytes > input.MaxLagBytes) reason = $"too far behind: replay lag {sender.ReplayLagBytes} bytes > {input.MaxLagBytes}";
                else if (!input.Force)
                    return ActivityResult.Failed($"{slave} is healthy: streaming from {master.Name}, replay lag {sender.ReplayLagBytes} bytes. Nothing was changed; " +
                                                 "run with force=true to rebuild it anyway (its data directory would be rewound or replaced)");
                else reason = $"forced: it was healthy (streaming, replay lag {sender.ReplayLagBytes} bytes)";
            }

            var destroys = $"the PostgreSQL data directory {cluster.Inventory.Paths.Data} on {slave.Name}: rewound with pg_rewind from {master.Name}, or replaced by a fresh base backup of it";
            var summary = $"{slave.Name} is rebuilt from {master.Name} ({master.Address}, a primary at {masterState.CurrentLsn}): {reason}. The rebuild replaces {destroys}; {master.Name} and its clients are not touched.";
            context.Log(summary);
            return ActivityResult.Done(new { reason, destroys, summary });
        }
        catch (Exception e) when (e is PostgresProbeException or Remote.RemoteException or InvalidOperationException)
        {
            return ActivityResult.Failed(e.Message);
        }
    }
}
