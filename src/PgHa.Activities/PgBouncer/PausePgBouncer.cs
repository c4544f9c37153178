using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.PgBouncer;

public sealed record PausePgBouncerInput
{
    [Description("Roles or host names whose pgbouncer is paused, all at once, e.g. [\"master\", \"slave\"].")]
    public required IReadOnlyList<string> PgbouncerHosts { get; init; }

    [Description("Seconds PAUSE may wait for running transactions (transaction pooling) or open sessions (session pooling) to end; sessions still open then are closed with KILL and counted.")]
    public int DrainTimeoutSeconds { get; init; } = 10;

    [Description("Seconds after which each pgbouncer resumes by itself if no ResumePgBouncer of this run came (the server died inside the pause window).")]
    public int ResumeByItselfAfterSeconds { get; init; } = 60;
}

[Activity("PausePgBouncer", Description = "Arms a guard on every pgbouncer host that resumes it by itself after a budget, then PAUSEs every pgbouncer at once: clients keep their connections and new queries wait until RESUME. Already paused is success.",
    Category = "PgBouncer", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("paused", "pgbouncer host → { alreadyPaused, drainMs, closedSessions, resumesByItselfAt }.")]
public sealed class PausePgBouncer : Activity<PausePgBouncerInput>
{
    public const string GuardScript = "pgbouncer_guard.sh";

    protected override async Task<ActivityResult> ExecuteAsync(PausePgBouncerInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> bouncers;
        try
        {
            cluster = ClusterHosts.For(context);
            bouncers = cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts");
            if (input.ResumeByItselfAfterSeconds < 5) throw new ActivityInputException("resumeByItselfAfterSeconds: give at least 5 seconds");
            if (input.DrainTimeoutSeconds < 1) throw new ActivityInputException("drainTimeoutSeconds: give at least 1 second");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        // Every guard first, then every PAUSE at once: a pgbouncer paused while another host's guard was still being
        // armed would hold its clients that much longer. Nothing is paused when a guard cannot be armed.
        var scripts = HostScript.For(cluster, context);
        var guards = await HostFanOut.RunAsync(bouncers, context, (host, log) => scripts.RunOrPlanAsync(host, GuardScript,
            ["arm", GuardToken(context), input.ResumeByItselfAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(20), log, context));
        if (guards.Any(g => !g.Succeeded))
            return ActivityResult.Failed("no pgbouncer was paused: " + HostFanOut.Failures(guards));
        if (context.DryRun)
        {
            foreach (var b in bouncers)
                context.Plan($"{b.Name}: {PauseChange(cluster, b, input)}");
            return ActivityResult.Done();
        }
        var armedUntil = guards.ToDictionary(g => g.Host.Name, g => g.Value!.Values.GetValueOrDefault("armedUntil"));
        var results = await HostFanOut.RunAsync(bouncers, context, (host, log) => PauseOneAsync(cluster, host, armedUntil[host.Name], input, context, log));
        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new { paused = ok.ToDictionary(r => r.Host.Name, r => r.Value) };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }

    private static string PauseChange(ClusterHosts cluster, HostRef host, PausePgBouncerInput input) =>
        $"PAUSE on the admin console {host.Address}:{cluster.Inventory.Ports.PgBouncer} (drain up to {input.DrainTimeoutSeconds} s, then KILL what is still open)";

    /// <summary>One guard per run: ResumePgBouncer disarms it with the same token.</summary>
    internal static string GuardToken(ActivityContext context) => context.RunId;

    private static async Task<object> PauseOneAsync(ClusterHosts cluster, HostRef host, string? armedUntil, PausePgBouncerInput input,
        ActivityContext context, Action<string> log)
    {
        var ct = context.CancellationToken;
        var admin = cluster.PgBouncerAdmin(host);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var alreadyPaused = false;
        var closed = 0;
        try
        {
            log("PAUSE");
            await admin.PauseAsync(null, TimeSpan.FromSeconds(input.DrainTimeoutSeconds), ct);
        }
        catch (PgBouncerAdminException e) when (PgBouncerRoutes.IsAlreadyInState(e))
        {
            alreadyPaused = true;
            log("already paused");
        }
        catch (PgBouncerAdminException e) when (e.Kind == PgBouncerErrorKind.Timeout)
        {
            // pgbouncer stays in its pending pause; what still holds a server connection is closed so the pause completes.
            closed = await CloseOpenSessionsAsync(cluster, admin, log, ct);
        }
        log($"paused after {clock.ElapsedMilliseconds} ms{(closed > 0 ? $", {closed} session(s) still open after the drain budget were closed" : "")}");
        if (!alreadyPaused) HostScript.RecordChanges(context, host)(PauseChange(cluster, host, input));
        return new { alreadyPaused, drainMs = clock.ElapsedMilliseconds, closedSessions = closed, resumesByItselfAt = armedUntil };
    }

    private static async Task<int> CloseOpenSessionsAsync(ClusterHosts cluster, PgBouncerAdmin admin, Action<string> log, CancellationToken ct)
    {
        var clients = await admin.ExecuteAsync("SHOW CLIENTS", null, ct);
        var table = clients.First(r => r.Columns.Count > 0);
        var database = table.Ordinal("database");
        var open = table.Rows.Count(r => database >= 0 && r[database] is { } db && cluster.Inventory.Databases.Contains(db));
        // pgbouncer refuses KILL while a PAUSE is pending: take the pending PAUSE back, KILL (which also holds new
        // clients of the database until RESUME), then PAUSE again, which completes at once with no server connection left.
        try { await admin.ResumeAsync(null, ct); }
        catch (PgBouncerAdminException e) when (PgBouncerRoutes.IsAlreadyInState(e)) { }
        foreach (var db in cluster.Inventory.Databases)
        {
            log($"KILL {db} (drain budget spent; {open} client session(s) open)");
            await admin.ExecuteAsync("KILL " + db, null, ct);
        }
        try { await admin.PauseAsync(null, TimeSpan.FromSeconds(5), ct); }
        catch (PgBouncerAdminException e) when (PgBouncerRoutes.IsAlreadyInState(e)) { }
        return open;
    }
}
