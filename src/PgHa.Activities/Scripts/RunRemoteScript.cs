using System.ComponentModel;

using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

public sealed record RunRemoteScriptInput
{
    [Description("Roles (master, slave, replica) or host names; several hosts run concurrently.")]
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
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    [Description("Extra non-secret environment variables, e.g. FORCE=1.")]
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

[Activity("RunRemoteScript", Description = "Runs a script from workflows/scripts on hosts over SSH (uploading it and pgha.env first if missing or changed); Failed on a non-zero exit with the script's stderr tail.",
    Category = "Scripts", Mutates = true)]
[ActivityOutput("exitCodes", "Host reference → exit code.")]
[ActivityOutput("seconds", "Host reference → run time in seconds.")]
[ActivityOutput("values", "Host reference → values the script printed as 'PGHA_OUTPUT name=value' lines.")]
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
                environment[variable] = purpose == ClusterHosts.LondistePasswordPurpose ? cluster.LondistePassword() : cluster.Secret(purpose);
            foreach (var name in environment.Keys)
                if (!ShellQuoting.IsValidVariableName(name)) throw new ActivityInputException($"environment: '{name}' is not a variable name");
        }
        catch (Exception e) when (e is ActivityInputException or DirectoryNotFoundException or PgHa.Secrets.SecretNotFoundException)
        {
            return ActivityResult.Failed(e.Message);
        }

        var timeout = TimeSpan.FromSeconds(Math.Max(1, input.TimeoutSeconds));
        var described = ShellQuoting.Join([input.Script, .. input.Args]);
        if (context.DryRun)
        {
            foreach (var h in hosts) context.Plan($"{h.Name}: run {described} as {cluster.Account(account).User}{(account == HostAccount.Admin ? " via sudo -n" : "")}");
            return ActivityResult.Done();
        }

        var runner = new HostScript(cluster, deployment);
        var results = await HostFanOut.RunAsync(hosts, context, async (host, log) =>
        {
            var result = await runner.RunAsync(host, account, input.Script, input.Args, environment, timeout, log, context.CancellationToken);
            if (!result.Succeeded) throw new InvalidOperationException($"{input.Script} exited with {result.ExitCode}: {result.StdErrTail}");
            return result;
        });

        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new
        {
            exitCodes = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.ExitCode),
            seconds = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.Seconds),
            values = ok.ToDictionary(r => r.Host.Reference, r => r.Value!.Values),
        };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }
}
