using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Postgres;

public sealed record StopPostgresInput
{
    [Description("Role or host name whose PostgreSQL is stopped.")]
    public required string Host { get; init; }

    [Description("fast (clean shutdown checkpoint, sessions ended), smart (waits for sessions to end) or immediate (no checkpoint; crash recovery at next start).")]
    public string Mode { get; init; } = "fast";

    [Description("Seconds a fast or smart stop may take before it becomes immediate.")]
    public int TimeoutSeconds { get; init; } = 60;
}

[Activity("StopPostgres", Description = "Stops PostgreSQL on one host with pg_ctl (bounded; a fast stop that hangs becomes immediate). Already stopped is success. Outputs the shutdown checkpoint LSN from pg_controldata.",
    Category = "PostgreSQL", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("checkpointLsn", "Latest checkpoint location after the stop (after a clean stop: the shutdown checkpoint).")]
[ActivityOutput("clusterState", "pg_controldata's 'Database cluster state' (shut down = clean).")]
[ActivityOutput("alreadyStopped", "True when PostgreSQL was not running.")]
public sealed class StopPostgres : Activity<StopPostgresInput>
{
    protected override Task<ActivityResult> ExecuteAsync(StopPostgresInput input, ActivityContext context) =>
        input.Mode is "fast" or "smart" or "immediate"
            ? OneHostScript.RunAsync(context, input.Host, "postgres_stop.sh", [input.Mode, OneHostScript.Seconds(input.TimeoutSeconds)], input.TimeoutSeconds,
                r => new
                {
                    checkpointLsn = r.Value("checkpointLsn", "postgres_stop.sh"), clusterState = r.Value("clusterState", "postgres_stop.sh"),
                    alreadyStopped = r.Values.GetValueOrDefault("alreadyStopped") == "true",
                },
                h => new { checkpointLsn = OneHostScript.Planned(h, "shutdown checkpoint LSN"), clusterState = "shut down", alreadyStopped = false })
            : Task.FromResult(ActivityResult.Failed($"mode: '{input.Mode}' must be fast, smart or immediate"));
}
