using System.ComponentModel;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;

namespace PgHa.Activities.Fencing;

public sealed record FenceHostInput
{
    [Description("Role or host name of the old master to fence.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required string Host { get; init; }

    [Description("Role or host name of the server that becomes the primary: the fenced host's pgbouncer is pointed at it, and its PostgreSQL may only start as a standby of it.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required string NewPrimary { get; init; }

    [Description("Seconds the host's SSH port may take to answer before the fence is recorded as pending.")]
    public int ReachTimeoutSeconds { get; init; } = 3;
}

[Activity("FenceHost", Description = "Fences the old master so it can never again accept a write as a primary: stops its PostgreSQL at once (immediate), leaves standby.signal so it can only start as a standby of the new primary, stops its Londiste root daemons and points its pgbouncer at the new primary. A host that does not answer gets a pending fence that the server carries out as soon as it answers; until it is rebuilt as a standby the host stays fenced.",
    Category = "PostgreSQL", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("fenced", "now (done by this node) or pending (the host did not answer; the server fences it when it does).")]
[ActivityOutput("result", "What was done, or why the fence is pending.")]
public sealed class FenceHost : Activity<FenceHostInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(FenceHostInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        HostRef host, primary;
        try
        {
            cluster = ClusterHosts.For(context);
            host = cluster.Resolve(input.Host);
            primary = cluster.Resolve(input.NewPrimary);
            if (host.Name == primary.Name) throw new ActivityInputException($"host and newPrimary are both {host.Name}; a host cannot be fenced in favour of itself");
            if (input.ReachTimeoutSeconds is < 1 or > 60) throw new ActivityInputException("reachTimeoutSeconds: give 1 to 60 seconds");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var ct = context.CancellationToken;
        var answers = await HostFencing.AnswersAsync(host, TimeSpan.FromSeconds(input.ReachTimeoutSeconds), ct);
        if (context.DryRun)
        {
            if (!answers) context.Plan($"{host.Name} does not answer on SSH now: record a pending fence that the server carries out when it answers");
            else
            {
                try { await HostFencing.PlanAsync(cluster, host, primary, line => context.Log($"[{host.Name}] {line}"), context); }
                catch (Exception e) when (e is Remote.RemoteException or InvalidOperationException) { return ActivityResult.Failed($"{host}: {e.Message}"); }
            }
            return ActivityResult.Done(new { fenced = answers ? "now" : "pending", result = "dry run" });
        }

        var fences = ClusterHosts.Service<HostFences>(context);
        var reason = $"unplanned failover: {primary.Name} replaces {host.Name} as the primary";
        if (!answers)
        {
            // Recorded before the node ends: a crash now leaves the fence recorded, and the rerun records it again.
            await fences.RecordAsync(cluster.Inventory.Id, host.Name, reason, $"run {context.RunId}", null, ct);
            var pending = $"{host.Name} did not answer on SSH within {input.ReachTimeoutSeconds} s: fence PENDING; the server stops its PostgreSQL and re-points its pgbouncer as soon as it answers";
            context.Log(pending);
            return ActivityResult.Done(new { fenced = "pending", result = pending });
        }

        try
        {
            var done = await HostFencing.FenceNowAsync(cluster, new ScriptDeployment(cluster, ClusterHosts.Service<ScriptOptions>(context)), host, primary,
                Scripts.HostScript.AttemptKey(context, host), line => context.Log($"[{host.Name}] {line}"), Scripts.HostScript.RecordChanges(context, host), ct);
            await fences.RecordAsync(cluster.Inventory.Id, host.Name, reason, $"run {context.RunId}", done, ct);
            context.Log("fenced: " + done);
            return ActivityResult.Done(new { fenced = "now", result = done });
        }
        catch (Exception e) when (e is Remote.RemoteException or InvalidOperationException or PgHa.Postgres.PgBouncer.PgBouncerAdminException)
        {
            // It answered the probe but the fence did not complete: pending, so the server keeps trying; the node fails
            // because nobody knows what the host is doing right now.
            await fences.RecordAsync(cluster.Inventory.Id, host.Name, reason, $"run {context.RunId}", null, ct);
            return ActivityResult.Failed($"{host}: the fence did not complete ({e.Message}); it stays pending and the server retries it");
        }
    }
}
