using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Postgres;

public sealed record StartPostgresInput
{
    [Description("Role or host name whose PostgreSQL is started (as a standby when its data folder has standby.signal).")]
    public required string Host { get; init; }

    [Description("Seconds the start may take.")]
    public int TimeoutSeconds { get; init; } = 120;
}

[Activity("StartPostgres", Description = "Starts PostgreSQL on one host with pg_ctl and waits until it accepts connections. Already running is success.",
    Category = "PostgreSQL", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("role", "primary or standby, as the started server reports itself.")]
[ActivityOutput("alreadyRunning", "True when PostgreSQL was already running.")]
public sealed class StartPostgres : Activity<StartPostgresInput>
{
    protected override Task<ActivityResult> ExecuteAsync(StartPostgresInput input, ActivityContext context) =>
        OneHostScript.RunAsync(context, input.Host, "postgres_start.sh", [], input.TimeoutSeconds,
            r => new { role = r.Value("role", "postgres_start.sh"), alreadyRunning = r.Values.GetValueOrDefault("alreadyRunning") == "true" },
            h => new { role = OneHostScript.Planned(h, "role"), alreadyRunning = false });
}
