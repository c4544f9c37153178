using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

/// <summary>
/// The shape of the activities that are one host script on one host (StopPostgres, StartPostgres, PromoteStandby):
/// resolve the host, run the script in plan mode in a dry run, else run it and turn its PGHA_OUTPUT values into the node's outputs.
/// </summary>
internal static class OneHostScript
{
    /// <param name="planned">Outputs of a dry run: placeholders that name what the real run would output, so later nodes' templates resolve.</param>
    public static async Task<ActivityResult> RunAsync(ActivityContext context, string hostReference, string script, IReadOnlyList<string> args,
        int timeoutSeconds, Func<HostScriptResult, object> outputs, Func<HostRef, object>? planned = null, Func<ClusterHosts, HostRef, Task>? before = null)
    {
        ClusterHosts cluster;
        HostRef host;
        try
        {
            cluster = ClusterHosts.For(context);
            host = cluster.Resolve(hostReference);
            if (timeoutSeconds < 1) throw new ActivityInputException("timeoutSeconds: give at least 1 second");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        try
        {
            void Log(string line) => context.Log($"[{host.Name}] {line}");
            var timeout = TimeSpan.FromSeconds(timeoutSeconds + 15);
            if (context.DryRun)
            {
                // The script itself plans (its read-only checks run, its changes are printed); the outputs are placeholders.
                await HostScript.For(cluster, context).PlanOrThrowAsync(host, script, args, timeout, Log, context);
                return ActivityResult.Done(planned?.Invoke(host));
            }
            if (before is not null) await before(cluster, host);
            var result = await HostScript.For(cluster, context).RunOrThrowAsync(host, script, args, timeout, Log, context);
            return ActivityResult.Done(outputs(result));
        }
        catch (Exception e) when (e is ActivityInputException or InvalidOperationException or Remote.RemoteException)
        {
            return ActivityResult.Failed($"{host}: {e.Message}");
        }
    }

    /// <summary>The placeholder a dry run outputs for a value only the real run knows.</summary>
    public static string Planned(HostRef host, string what) => PlannedValue.For($"{what} of {host.Name}");

    public static string Seconds(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
