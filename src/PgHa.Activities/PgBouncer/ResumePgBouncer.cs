using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.PgBouncer;

public sealed record ResumePgBouncerInput
{
    [Description("Roles or host names whose pgbouncer is resumed, all at once.")]
    public required IReadOnlyList<string> PgbouncerHosts { get; init; }

    [Description("Role or host every resumed pgbouncer must now route to; verified by connecting through it (and writing, on a primary). Unset = not verified.")]
    public string? ExpectTarget { get; init; }

    [Description("Seconds the route verification may take per pgbouncer.")]
    public int VerifyTimeoutSeconds { get; init; } = 20;
}

[Activity("ResumePgBouncer", Description = "RESUMEs each pgbouncer (already running is success), disarms the guard PausePgBouncer armed and reports whether it had resumed pgbouncer by itself, then verifies the route through each pgbouncer.",
    Category = "PgBouncer", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("resumed", "pgbouncer host → { wasPaused, resumedByGuard, guardFiredAt, verified }.")]
public sealed class ResumePgBouncer : Activity<ResumePgBouncerInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(ResumePgBouncerInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> bouncers;
        HostRef? target;
        try
        {
            cluster = ClusterHosts.For(context);
            bouncers = cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts");
            target = input.ExpectTarget is null ? null : cluster.Resolve(input.ExpectTarget);
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        if (context.DryRun)
        {
            foreach (var b in bouncers) context.Plan($"{b.Name}: {ResumeChange(cluster, b)}");
            var planned = await HostFanOut.RunAsync(bouncers, context, (host, log) => HostScript.For(cluster, context).PlanOrThrowAsync(host,
                PausePgBouncer.GuardScript, ["disarm", PausePgBouncer.GuardToken(context)], TimeSpan.FromSeconds(20), log, context));
            return planned.All(p => p.Succeeded) ? ActivityResult.Done() : ActivityResult.Failed(HostFanOut.Failures(planned));
        }

        // RESUME everywhere first: the client-visible pause ends here; guards and verification come after.
        var resumed = await HostFanOut.RunAsync(bouncers, context, (host, log) => ResumeOneAsync(cluster, host, context, log));
        var scripts = HostScript.For(cluster, context);
        var results = await HostFanOut.RunAsync(resumed.Where(r => r.Succeeded).Select(r => r.Host).ToList(), context, async (host, log) =>
        {
            var guard = await scripts.RunOrThrowAsync(host, PausePgBouncer.GuardScript, ["disarm", PausePgBouncer.GuardToken(context)], TimeSpan.FromSeconds(20), log, context);
            var firedAt = guard.Values.GetValueOrDefault("firedAt");
            if (firedAt is not null) context.Log($"[{host.Name}] NOTE: pgbouncer had resumed by itself at {firedAt}: the run did not resume it within its budget");
            var verified = target is null ? null : await PgBouncerRoutes.VerifyAsync(cluster, host, target, TimeSpan.FromSeconds(Math.Max(1, input.VerifyTimeoutSeconds)),
                $"pgha-resume-{context.RunId}-{context.NodeId}", log, context.CancellationToken);
            return new { wasPaused = resumed.First(r => r.Host.Name == host.Name).Value, resumedByGuard = firedAt is not null, guardFiredAt = firedAt, verified };
        });
        var failures = resumed.Where(r => !r.Succeeded).Select(r => $"{r.Host}: {r.Error}").Concat(results.Where(r => !r.Succeeded).Select(r => $"{r.Host}: {r.Error}")).ToList();
        var outputs = new { resumed = results.Where(r => r.Succeeded).ToDictionary(r => r.Host.Name, r => r.Value) };
        return failures.Count == 0 ? ActivityResult.Done(outputs) : ActivityResult.Failed(string.Join("; ", failures), outputs);
    }

    private static string ResumeChange(ClusterHosts cluster, HostRef host) => $"RESUME on the admin console {host.Address}:{cluster.Inventory.Ports.PgBouncer}";

    private static async Task<bool> ResumeOneAsync(ClusterHosts cluster, HostRef host, ActivityContext context, Action<string> log)
    {
        var admin = cluster.PgBouncerAdmin(host);
        var ct = context.CancellationToken;
        var wasPaused = true;
        try
        {
            await admin.ResumeAsync(null, ct);
            log("RESUME");
            HostScript.RecordChanges(context, host)(ResumeChange(cluster, host));
        }
        catch (PgBouncerAdminException e) when (PgBouncerRoutes.IsAlreadyInState(e))
        {
            wasPaused = false;
            log("not paused (already running)");
        }
        // A database closed by KILL (session pooling past its drain budget) stays paused until resumed by name.
        foreach (var db in (await admin.ShowDatabasesAsync(ct)).Where(d => d.Paused && cluster.Inventory.Databases.Contains(d.Name)))
        {
            await admin.ResumeAsync(db.Name, ct);
            log($"RESUME {db.Name}");
        }
        return wasPaused;
    }
}
