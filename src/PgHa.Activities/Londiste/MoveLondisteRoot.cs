using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Postgres;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Londiste;

public sealed record MoveLondisteRootInput
{
    [Description("Role or host name where the root ran until now (its PostgreSQL may already be down).")]
    public required string OldRoot { get; init; }

    [Description("Role or host name of the new primary that becomes the root.")]
    public required string NewRoot { get; init; }

    [Description("Role or host name of the Londiste leaf (the replica).")]
    public string Leaf { get; init; } = "replica";

    [Description("The old root was fenced (unplanned failover): it is not contacted, its root daemons are stopped by its fence, now or when it answers again.")]
    public bool OldRootFenced { get; init; }

    [Description("Seconds a row written on the new root may take to reach the leaf (Londiste ticks and batches: ~10 s is usual).")]
    public int VerifyTimeoutSeconds { get; init; } = 90;
}

[Activity("MoveLondisteRoot", Description = "Moves the Londiste root to the new primary: stops the old root's workers and pgqd, points the root's location at the new primary on the new root and on the leaf, starts the root worker and pgqd there, restarts the leaf worker, then waits until a row written on the new root reaches the leaf.",
    Category = "Londiste", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("token", "The row written on the new root and found on the leaf.")]
[ActivityOutput("reachedLeafMs", "How long it took to reach the leaf.")]
public sealed class MoveLondisteRoot : Activity<MoveLondisteRootInput>
{
    public const string Script = "londiste_move_root.sh";

    protected override async Task<ActivityResult> ExecuteAsync(MoveLondisteRootInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        HostRef oldRoot, newRoot, leaf;
        try
        {
            cluster = ClusterHosts.For(context);
            oldRoot = cluster.Resolve(input.OldRoot);
            newRoot = cluster.Resolve(input.NewRoot);
            leaf = cluster.Resolve(input.Leaf);
            if (oldRoot.Name == newRoot.Name) throw new ActivityInputException($"oldRoot and newRoot are both {oldRoot.Name}");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var ct = context.CancellationToken;
        var scripts = HostScript.For(cluster, context);
        var timeout = TimeSpan.FromSeconds(120);
        try
        {
            if (input.OldRootFenced) context.Log($"{oldRoot}: fenced, not contacted (its fence stops its root daemons)");
            else await scripts.RunOrPlanAsync(oldRoot, Script, ["stop-root"], timeout, l => context.Log($"[{oldRoot.Name}] {l}"), context);
            await scripts.RunOrPlanAsync(newRoot, Script, ["start-root", newRoot.Address], timeout, l => context.Log($"[{newRoot.Name}] {l}"), context);
            await scripts.RunOrPlanAsync(leaf, Script, ["follow-root", newRoot.Address], timeout, l => context.Log($"[{leaf.Name}] {l}"), context);

            var token = $"pgha-londiste-{context.RunId}-{context.NodeId}";
            var check = $"{newRoot.Name}: INSERT the row {token}-<db> into pgha_smoke.tokens of {string.Join(", ", cluster.Inventory.Databases)}, " +
                        $"then wait up to {input.VerifyTimeoutSeconds} s for it on {leaf.Name}";
            if (context.DryRun)
            {
                context.Plan(check);
                return ActivityResult.Done();
            }
            var tokens = new SmokeTokens();
            var slowest = TimeSpan.Zero;
            foreach (var db in cluster.Inventory.Databases)
            {
                await tokens.WriteAsync(cluster.AppEndpoint(newRoot, db), $"{token}-{db}", newRoot.Name, ct);
                var wait = await tokens.WaitForTokenAsync(cluster.AppEndpoint(leaf, db), $"{token}-{db}", TimeSpan.FromSeconds(input.VerifyTimeoutSeconds), cancellationToken: ct);
                if (!wait.Found)
                    return ActivityResult.Failed($"{db}: a row written on {newRoot} did not reach {leaf} via Londiste within {input.VerifyTimeoutSeconds} s ({wait.LastError ?? "not there"})");
                context.Log($"{db}: row {token}-{db} written on {newRoot} reached {leaf} after {wait.Elapsed.TotalSeconds:0.0} s");
                if (wait.Elapsed > slowest) slowest = wait.Elapsed;
            }
            context.Changed(check);
            return ActivityResult.Done(new { token, reachedLeafMs = (long)slowest.TotalMilliseconds });
        }
        catch (Exception e) when (e is InvalidOperationException or Remote.RemoteException or PostgresProbeException or Npgsql.NpgsqlException)
        {
            return ActivityResult.Failed(e.Message);
        }
    }
}
