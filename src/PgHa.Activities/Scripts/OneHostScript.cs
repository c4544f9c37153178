using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

/// <summary>
/// The shape of the activities that are one host script on one host (StopPostgres, StartPostgres, PromoteStandby):
/// resolve the host, plan in a dry run, else run the script and turn its PGHA_OUTPUT values into the node's outputs.
/// </summary>
internal static class OneHostScript
{
    /// <param name="planned">Outputs of a dry run: placeholders that name what the real run would output, so later nodes' templates resolve.</param>
    public static async Task<ActivityResult> RunAsync(ActivityContext context, string hostReference, string script, IReadOnlyList<string> args,
        int timeoutSeconds, string plan, Func<HostScriptResult, object> outputs, Func<HostRef, object>? planned = null, Func<ClusterHosts, HostRef, Task>? before = null)
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

        if (context.DryRun)
        {
            context.Plan($"{host.Name}: {plan} ({Remote.ShellQuoting.Join([script, .. args])})");
            return ActivityResult.Done(planned?.Invoke(host));
        }
        try
        {
            if (before is not null) await before(cluster, host);
            void Log(string line) => context.Log($"[{host.Name}] {line}");
            var result = await HostScript.For(cluster, context).RunOrThrowAsync(host, script, args,
                TimeSpan.FromSeconds(timeoutSeconds + 15), Log, context.CancellationToken);
            return ActivityResult.Done(outputs(result));
        }
        catch (Exception e) when (e is ActivityInputException or InvalidOperationException or Remote.RemoteException)
        {
            return ActivityResult.Failed($"{host}: {e.Message}");
        }
    }

    /// <summary>The placeholder a dry run outputs for a value only the real run knows.</summary>
    public static string Planned(HostRef host, string what) => $"<{what} of {host.Name}>";

    public static string Seconds(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
