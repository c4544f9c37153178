using System.ComponentModel;
using PgHa.Postgres;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Postgres;

public sealed record WaitForLsnInput
{
    [Description("Role or host name of the standby that must reach the position.")]
    public required string Host { get; init; }

    [Description("WAL position, e.g. ${nodes.stop-master.outputs.checkpointLsn}.")]
    public required string Lsn { get; init; }

    [Description("replayed (pg_last_wal_replay_lsn, the default: what a promotion keeps) or received (pg_last_wal_receive_lsn).")]
    public string Position { get; init; } = "replayed";

    [Description("Seconds to wait before the node fails.")]
    public int TimeoutSeconds { get; init; } = 30;
}

[Activity("WaitForLsn", Description = "Waits until a standby has received or replayed a WAL position given by an earlier node (e.g. the master's shutdown checkpoint), polling one connection every few milliseconds; bounded.",
    Category = "PostgreSQL")]
[ActivityOutput("reachedLsn", "The standby's position when it reached the target.")]
[ActivityOutput("waitedMs", "How long it took.")]
public sealed class WaitForLsn : Activity<WaitForLsnInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(WaitForLsnInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        HostRef host;
        Lsn target;
        StandbyPosition position;
        try
        {
            cluster = ClusterHosts.For(context);
            host = cluster.Resolve(input.Host);
            if (!PgHa.Postgres.Lsn.TryParse(input.Lsn, out target))
            {
                // A dry run's earlier node planned its change and output a placeholder instead of a position.
                if (context.DryRun && input.Lsn.StartsWith('<'))
                {
                    context.Plan($"wait until {host} has {input.Position} {input.Lsn} (at most {input.TimeoutSeconds} s)");
                    return ActivityResult.Done(new { reachedLsn = input.Lsn, waitedMs = 0 });
                }
                throw new ActivityInputException($"lsn: '{input.Lsn}' is not a WAL position (e.g. 0/3000028)");
            }
            position = input.Position switch
            {
                "replayed" => StandbyPosition.Replayed,
                "received" => StandbyPosition.Received,
                _ => throw new ActivityInputException($"position: '{input.Position}' must be replayed or received"),
            };
            if (input.TimeoutSeconds < 1) throw new ActivityInputException("timeoutSeconds: give at least 1 second");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        context.Log($"waiting until {host} has {input.Position} {target} (at most {input.TimeoutSeconds} s)");
        var endpoint = cluster.AppEndpoint(host, cluster.Inventory.Databases[0]);
        var result = await new PostgresProbe().WaitForLsnAsync(endpoint, target, TimeSpan.FromSeconds(input.TimeoutSeconds), position,
            TimeSpan.FromMilliseconds(5), context.CancellationToken);
        var outputs = new { reachedLsn = result.LastSeen?.ToString(), waitedMs = (long)result.Elapsed.TotalMilliseconds };
        if (result.Reached)
        {
            context.Log($"{host} has {input.Position} {result.LastSeen} after {result.Elapsed.TotalMilliseconds:0} ms ({result.Polls} polls)");
            return ActivityResult.Done(outputs);
        }
        return ActivityResult.Failed($"{host} did not reach {target} within {input.TimeoutSeconds} s (last {input.Position} position {result.LastSeen?.ToString() ?? "unknown"}" +
                                     (result.LastError is null ? ")" : $"; {result.LastError})"), outputs);
    }
}
