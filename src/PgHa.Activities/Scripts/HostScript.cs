using System.Diagnostics;
using PgHa.Remote;

namespace PgHa.Activities.Scripts;

/// <summary>What one host script run printed: its exit code, time and the values of its 'PGHA_OUTPUT name=value' lines.</summary>
public sealed record HostScriptResult(int ExitCode, double Seconds, IReadOnlyDictionary<string, string> Values, string StdErrTail)
{
    public bool Succeeded => ExitCode == 0;

    public string Value(string name, string script) => Values.TryGetValue(name, out var v) ? v
        : throw new InvalidOperationException($"{script} printed no '{name}' (PGHA_OUTPUT {name}=...)");
}

/// <summary>
/// Runs one script from workflows/scripts on one host: syncs the scripts and pgha.env first (one checksum round trip
/// when nothing changed), passes secrets and settings through the environment (stdin, never argv), streams each line
/// to the node's log and collects the script's PGHA_OUTPUT values. The activities that run scripts share it.
/// </summary>
public sealed class HostScript(ClusterHosts cluster, ScriptDeployment deployment)
{
    public const string OutputMarker = "PGHA_OUTPUT ";

    public ClusterHosts Cluster => cluster;

    public static HostScript For(ClusterHosts cluster, Workflows.Activities.ActivityContext context) =>
        new(cluster, new ScriptDeployment(cluster, ClusterHosts.Service<ScriptOptions>(context)));

    /// <summary>Runs the script; a non-zero exit is returned, not thrown (callers decide what it means).</summary>
    public async Task<HostScriptResult> RunAsync(HostRef host, HostAccount account, string script, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string> log, CancellationToken ct)
    {
        deployment.LocalScript(script);
        var synced = Stopwatch.StartNew();
        var (directory, _) = await deployment.SyncAsync(host, account, [script], log, ct);
        log($"scripts in place after {synced.ElapsedMilliseconds} ms");
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["PGHA_ENV"] = directory + "/" + PgHaEnvironment.FileName };
        var command = new RemoteCommand
        {
            Program = "bash", Arguments = [directory + "/" + script, .. args], Environment = env,
            Sudo = account == HostAccount.Admin, Timeout = timeout, ThrowOnFailure = false, WorkingDirectory = directory,
        };
        log("$ " + command.Describe());
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var result = await cluster.Remote(host, account).RunAsync(command, line =>
        {
            log((line.Stream == OutputStream.StdErr ? "! " : "") + line.Text);
            if (line.Stream == OutputStream.StdOut && line.Text.StartsWith(OutputMarker, StringComparison.Ordinal)
                && line.Text[OutputMarker.Length..].Split('=', 2) is [var key, var value])
                lock (values) values[key] = value;
        }, ct);
        log($"exit code {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.000} s");
        var tail = string.Join(" | ", result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
        return new HostScriptResult(result.ExitCode, Math.Round(clock.Elapsed.TotalSeconds, 3), values, tail);
    }

    /// <summary>Runs the script as the deploy account and throws with its stderr tail when it fails.</summary>
    public async Task<HostScriptResult> RunOrThrowAsync(HostRef host, string script, IReadOnlyList<string> args, TimeSpan timeout,
        Action<string> log, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(host, HostAccount.Deploy, script, args, environment ?? new Dictionary<string, string>(), timeout, log, ct);
        return result.Succeeded ? result : throw new InvalidOperationException($"{script} on {host.Name} exited with {result.ExitCode}: {result.StdErrTail}");
    }
}
