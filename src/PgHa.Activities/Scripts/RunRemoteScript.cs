using System.ComponentModel;

using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

public sealed record RunRemoteScriptInput
{
    [Description("Roles (master, slave, replica) or host names; several hosts run concurrently.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required IReadOnlyList<string> Hosts { get; init; }

    [Description("Script file name from workflows/scripts, e.g. setup_master.sh.")]
    public required string Script { get; init; }

    [Description("Arguments passed to the script (each one quoted, never parsed by a shell).")]
    public IReadOnlyList<string> Args { get; init; } = [];

    [Description("deploy (silkcloud, runs as itself) or admin (devops, runs the script through sudo -n).")]
    public string User { get; init; } = "deploy";

    [Description("Seconds before the script's process group is killed and the node fails.")]
    public int TimeoutSeconds { get; init; } = 600;

    [Description("Environment variable → secret purpose from the inventory (e.g. PGHA_REPLICATION_PASSWORD → replicationPassword). Values travel on stdin, never in argv or logs.")]
    [ClusterReference(ClusterReferenceKind.SecretPurpose)]
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    [Description("Extra non-secret environment variables, e.g. FORCE=1.")]
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

[Activity("RunRemoteScript", Description = "Runs a script from workflows/scripts on hosts over SSH (uploading it and pgha.env first if missing or changed); Failed on a non-zero exit with the script's stderr tail. In a dry run the script runs from a throwaway copy with PGHA_DRY_RUN=1 and prints the changes it would make.",
    Category = "Scripts", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("exitCodes", "Host reference → exit code.")]
[ActivityOutput("seconds", "Host reference → run time in seconds.")]
[ActivityOutput("values", "Host reference → values the script printed as 'PGHA_OUTPUT name=value' lines (in a dry run, placeholders for values made by a change).")]
[ActivityOutput("changes", "Host reference → changes the script made ('PGHA_CHANGE' lines), or in a dry run would make ('PGHA_PLAN' lines), in the same words.")]
public sealed class RunRemoteScript : Activity<RunRemoteScriptInput>
{
    internal static HostAccount ParseAccount(string user) => user switch
    {
        "deploy" => HostAccount.Deploy,
        "admin" => HostAccount.Admin,
        _ => throw new ActivityInputException($"user: '{user}' must be 'deploy' (silkcloud) or 'admin' (devops)"),
    };

    protected override async Task<ActivityResult> ExecuteAsync(RunRemoteScriptInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> hosts;
        ScriptDeployment deployment;
        HostAccount account;
        Dictionary<string, string> environment;
        try
        {
            cluster = ClusterHosts.For(context);
            hosts = cluster.ResolveAll(input.Hosts, "hosts");
            account = ParseAccount(input.User);
            deployment = new ScriptDeployment(cluster, ClusterHosts.Service<ScriptOptions>(context));
            deployment.LocalScript(input.Script);
            environment = new Dictionary<string, string>(input.Environment, StringComparer.Ordinal);
            foreach (var (variable, purpose) in input.Secrets)
                environment[variable] = cluster.Secret(purpose);
            foreach (var name in environment.Keys)
                if (!ShellQuoting.IsValidVariableName(name)) throw new ActivityInputException($"environment: '{name}' is not a variable name");
        }
        catch (Exception e) when (e is ActivityInputException or DirectoryNotFoundException or PgHa.Secrets.SecretNotFoundException)
        {
            return ActivityResult.Failed(e.Message);
        }

        var timeout = TimeSpan.FromSeconds(Math.Max(1, input.TimeoutSeconds));
        var scripts = new HostScript(cluster, deployment);
        var results = await HostFanOut.RunAsync(hosts, context, async (host, log) =>
        {
            if (!context.DryRun)
                return Succeeded(await scripts.RunAsync(host, account, input.Script, input.Args, environment, timeout, log, context.CancellationToken,
                    HostScript.AttemptKey(context, host), HostScript.RecordChanges(context, host)), input.Script);
            return Succeeded(await scripts.PlanAsync(host, account, input.Script, input.Args, environment, timeout, log, context), input.Script);
        });

        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new
        {
            exitCodes = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.ExitCode),
            seconds = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.Seconds),
            values = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.Values),
            changes = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.Changes),
        };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }

    private static HostScriptResult Succeeded(HostScriptResult result, string script) => result.Succeeded ? result
        : throw new InvalidOperationException($"{script} exited with {result.ExitCode}: {result.StdErrTail}");
}
