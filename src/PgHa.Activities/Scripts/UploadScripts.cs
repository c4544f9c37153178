using System.ComponentModel;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

public sealed record UploadScriptsInput
{
    [Description("Roles (master, slave, replica) or host names to upload to.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required IReadOnlyList<string> Hosts { get; init; }

    [Description("Account that will run the scripts: deploy (silkcloud, to DEPLOYMENT_PATH) or admin (devops, to ~/pgha).")]
    public string User { get; init; } = "deploy";
}

[Activity("UploadScripts", Description = "Syncs workflows/scripts and a pgha.env rendered from the inventory's current roles to each host (dir 0700, scripts 0750, env 0600).",
    Category = "Scripts", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("transferred", "Host name → files that were uploaded (changed or missing).")]
[ActivityOutput("unchanged", "Host name → number of files already up to date.")]
[ActivityOutput("directory", "Host name → folder the scripts are in.")]
public sealed class UploadScripts : Activity<UploadScriptsInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(UploadScriptsInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> hosts;
        ScriptDeployment deployment;
        HostAccount account;
        try
        {
            cluster = ClusterHosts.For(context);
            hosts = cluster.ResolveAll(input.Hosts, "hosts");
            account = RunRemoteScript.ParseAccount(input.User);
            deployment = new ScriptDeployment(cluster, ClusterHosts.Service<ScriptOptions>(context));
        }
        catch (Exception e) when (e is ActivityInputException or DirectoryNotFoundException) { return ActivityResult.Failed(e.Message); }

        var results = await HostFanOut.RunAsync(hosts, context, async (host, log) =>
        {
            var sync = context.DryRun ? await deployment.PlanSyncAsync(host, account, null, context.CancellationToken)
                : await deployment.SyncAsync(host, account, null, log, context.CancellationToken);
            if (sync.Report.Transferred.Count == 0) log($"{sync.Directory}: every file up to date, nothing to upload");
            else
            {
                var change = $"{host.Name}: upload to {sync.Directory} as {cluster.Account(account).User}: {string.Join(", ", sync.Report.Transferred.Select(Path.GetFileName))}";
                if (context.DryRun) context.Plan(change); else context.Changed(change);
            }
            return sync;
        });
        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new
        {
            transferred = ok.ToDictionary(r => r.Host.Name, r => r.Value.Report.Transferred),
            unchanged = ok.ToDictionary(r => r.Host.Name, r => r.Value.Report.Skipped.Count),
            directory = ok.ToDictionary(r => r.Host.Name, r => r.Value.Directory),
        };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }
}
