using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Postgres;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Activities.Postgres;

public sealed record RejoinAsStandbyInput
{
    [Description("Role or host name of the old primary that becomes a standby.")]
    public required string Host { get; init; }

    [Description("Role or host name of the new primary it will stream from.")]
    public required string NewPrimary { get; init; }

    [Description("Seconds the rejoin may take (a fresh base backup included).")]
    public int TimeoutSeconds { get; init; } = 600;
}

[Activity("RejoinAsStandby", Description = "Makes an old primary a streaming standby of the new primary: slot, pg_rewind when its timeline diverged (a fresh base backup when rewind is impossible), standby.signal and primary_conninfo, start; ends when the new primary's pg_stat_replication shows it streaming.",
    Category = "PostgreSQL", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("method", "none (a clean switchover needs no rewind), rewind or basebackup.")]
[ActivityOutput("slot", "The physical slot on the new primary.")]
public sealed class RejoinAsStandby : Activity<RejoinAsStandbyInput>
{
    public const string Script = "rejoin_standby.sh";

    protected override async Task<ActivityResult> ExecuteAsync(RejoinAsStandbyInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        HostRef host, primary;
        try
        {
            cluster = ClusterHosts.For(context);
            host = cluster.Resolve(input.Host);
            primary = cluster.Resolve(input.NewPrimary);
            if (host.Name == primary.Name) throw new ActivityInputException($"host and newPrimary are both {host.Name}");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var ct = context.CancellationToken;
        void Log(string line) => context.Log($"[{host.Name}] {line}");
        var args = new[] { primary.Address, OneHostScript.Seconds(input.TimeoutSeconds) };
        var timeout = TimeSpan.FromSeconds(input.TimeoutSeconds + 30);
        if (context.DryRun)
        {
            try
            {
                var plan = await HostScript.For(cluster, context).PlanOrThrowAsync(host, Script, args, timeout, Log, context);
                context.Plan($"{primary.Name}: wait up to 30 s until pg_stat_replication shows {host.Name} streaming");
                return ActivityResult.Done(new { method = plan.Value("method", Script), slot = plan.Value("slot", Script) });
            }
            catch (Exception e) when (e is InvalidOperationException or Remote.RemoteException)
            {
                return ActivityResult.Failed($"{host}: {e.Message}");
            }
        }
        var fences = ClusterHosts.Service<HostFences>(context);
        var fence = (await fences.ForClusterAsync(cluster.Inventory.Id, ct)).FirstOrDefault(f => f.Host == host.Name);
        if (fence is not null && fence.State != HostFenceStates.Done)
            return ActivityResult.Failed($"{host} has a fence still to carry out ({fence.State}, recorded by {fence.RecordedBy}: {fence.Reason}); " +
                                         "the server carries it out as soon as the host answers on SSH, then this node can run");
        try
        {
            var result = await HostScript.For(cluster, context).RunOrThrowAsync(host, Script, args, timeout, Log, context);
            await WaitUntilPrimarySeesItStreamingAsync(cluster, primary, host, TimeSpan.FromSeconds(30), context);
            // A standby streaming from the new primary is what a fence waits for: the host is rebuilt.
            if (fence is not null && await fences.ClearAsync(cluster.Inventory.Id, host.Name, ct))
                context.Log($"{host}: rebuilt as a standby of {primary}; its fence (recorded by {fence.RecordedBy}) is lifted");
            return ActivityResult.Done(new { method = result.Value("method", Script), slot = result.Value("slot", Script) });
        }
        catch (Exception e) when (e is InvalidOperationException or Remote.RemoteException or PostgresProbeException or TimeoutException)
        {
            return ActivityResult.Failed($"{host}: {e.Message}");
        }
    }

    private static async Task WaitUntilPrimarySeesItStreamingAsync(ClusterHosts cluster, HostRef primary, HostRef standby, TimeSpan timeout, ActivityContext context)
    {
        var endpoint = cluster.AppEndpoint(primary, cluster.Inventory.Databases[0]);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var senders = await new PostgresProbe().GetReplicationAsync(endpoint, context.CancellationToken);
            var row = senders.FirstOrDefault(s => s.ClientAddress == standby.Address);
            if (row?.State == "streaming")
            {
                context.Log($"{primary}: pg_stat_replication shows {standby} ({standby.Address}) streaming");
                return;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{primary}'s pg_stat_replication shows {standby} as {row?.State ?? "absent"} after {timeout.TotalSeconds:0} s, not streaming");
            await Task.Delay(200, context.CancellationToken);
        }
    }
}
