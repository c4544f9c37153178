using Stopwatch = System.Diagnostics.Stopwatch;
using System.Globalization;
using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Scripts;

/// <summary>What one host script run printed: its exit code, time, its 'PGHA_OUTPUT name=value' values and its changes ('PGHA_PLAN' lines in plan mode, 'PGHA_CHANGE' in a real run).</summary>
public sealed record HostScriptResult(int ExitCode, double Seconds, IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> Changes, string StdErrTail)
{
    public bool Succeeded => ExitCode == 0;

    public string Value(string name, string script) => Values.TryGetValue(name, out var v) ? v
        : throw new InvalidOperationException($"{script} printed no '{name}' (PGHA_OUTPUT {name}=...)");
}

/// <summary>
/// Runs one script from workflows/scripts on one host, the one way every activity does: the scripts and pgha.env are
/// checked by SHA-256 in the same SSH command that runs the script (uploaded first only when they differ), secrets and
/// settings travel in the environment (stdin, never argv), each line goes to the node's log, and a real attempt runs
/// under the node's per-host lock (pgha_attempt.sh) so it never overlaps an attempt a dead server left running.
/// </summary>
public sealed class HostScript(ClusterHosts cluster, ScriptDeployment deployment)
{
    public const string OutputMarker = "PGHA_OUTPUT ";

    /// <summary>A line a script prints in plan mode for each change it would make (pgha_common.sh: changed, planned).</summary>
    public const string PlanMarker = "PGHA_PLAN ";

    /// <summary>A line a script prints in a real run for each change it made, in the words of its plan (pgha_common.sh: changed).</summary>
    public const string ChangeMarker = "PGHA_CHANGE ";

    /// <summary>Runs a node's script under a per-host lock keyed by run, node and host (workflows/scripts/pgha_attempt.sh, a shared library, so always uploaded).</summary>
    public const string AttemptWrapper = "pgha_attempt.sh";

    /// <summary>Set to 1, a script only plans (pgha_common.sh: planning).</summary>
    public const string DryRunVariable = "PGHA_DRY_RUN";

    private const int EarlierAttemptStillRuns = 75;
    private const string Stale = "PGHA_SCRIPTS_STALE";
    private const int StaleExitCode = 97;

    public static HostScript For(ClusterHosts cluster, ActivityContext context) =>
        new(cluster, new ScriptDeployment(cluster, ClusterHosts.Service<ScriptOptions>(context)));

    /// <summary>The lock key of a node's attempts on a host.</summary>
    public static string AttemptKey(ActivityContext context, HostRef host) => $"{context.RunId}-{context.NodeId}-{host.Name}";

    /// <summary>
    /// Runs the script; a non-zero exit is returned, not thrown (callers decide what it means). Each change it reports
    /// (and an upload of the scripts) goes to <paramref name="onChange"/>. With <paramref name="stagedDirectory"/> it
    /// runs the copy there as it is (plan mode), without the attempt lock.
    /// </summary>
    public async Task<HostScriptResult> RunAsync(HostRef host, HostAccount account, string script, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string> log, CancellationToken ct,
        string? attemptKey = null, Action<string>? onChange = null, string? stagedDirectory = null)
    {
        deployment.LocalScript(script);
        if (stagedDirectory is not null)
        {
            var staged = Command(stagedDirectory, script, args, environment, timeout, account, null);
            return await ExecuteAsync(host, account, staged, staged.Describe(), log, onChange, ct);
        }

        if (account == HostAccount.Deploy)
        {
            // The common case in one round trip: nothing ran when the check fails, and then the files are uploaded first.
            var directory = cluster.Inventory.Paths.Deployment;
            var plain = Command(directory, script, args, environment, timeout, account, attemptKey);
            var inPlace = plain with
            {
                Program = null, Arguments = [], WorkingDirectory = null,
                Script = $"cd -- {ShellQuoting.Quote(directory)} 2>/dev/null && sha256sum --status -c - 2>/dev/null <<'PGHA_SUMS' || {{ echo {Stale} >&2; exit {StaleExitCode}; }}\n" +
                         deployment.Checksums(host, directory, [script]) + "PGHA_SUMS\n" +
                         "exec " + ShellQuoting.Join([plain.Program!, .. plain.Arguments]) + "\n",
            };
            var result = await ExecuteAsync(host, account, inPlace, plain.Describe(), line => { if (line != "! " + Stale) log(line); }, onChange, ct);
            if (!(result.ExitCode == StaleExitCode && result.StdErrTail.EndsWith(Stale, StringComparison.Ordinal))) return Checked(result, script, host, timeout, attemptKey);
            log("scripts or pgha.env differ on the host; uploading");
        }
        var synced = Stopwatch.StartNew();
        var (target, upload) = await deployment.SyncAsync(host, account, [script], log, ct);
        log($"scripts in place after {synced.ElapsedMilliseconds} ms");
        if (upload.Transferred.Count > 0) onChange?.Invoke(UploadChange(target, upload));
        var command = Command(target, script, args, environment, timeout, account, attemptKey);
        return Checked(await ExecuteAsync(host, account, command, command.Describe(), log, onChange, ct), script, host, timeout, attemptKey);
    }

    /// <summary>
    /// Plan mode (a dry run): the script runs with PGHA_DRY_RUN=1 from a throwaway copy, so neither the deployment
    /// folder nor anything the script manages changes; its read-only checks run as usual and each change it would make
    /// (a PGHA_PLAN line) becomes a plan entry of the node, after the upload a real run would make first.
    /// </summary>
    public async Task<HostScriptResult> PlanAsync(HostRef host, HostAccount account, string script, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string> log, ActivityContext context)
    {
        var (target, upload) = await deployment.PlanSyncAsync(host, account, [script], context.CancellationToken);
        if (upload.Transferred.Count > 0) context.Plan($"{host.Name}: {UploadChange(target, upload)}");
        var staged = await deployment.StageAsync(host, account, [script], context.CancellationToken);
        try
        {
            return await RunAsync(host, account, script, args,
                new Dictionary<string, string>(environment, StringComparer.Ordinal) { [DryRunVariable] = "1" }, timeout, log, context.CancellationToken,
                onChange: change => context.Plan($"{host.Name}: {change}"), stagedDirectory: staged);
        }
        finally
        {
            await deployment.RemoveStagedAsync(host, account, staged);
        }
    }

    /// <summary>Plan mode as the deploy account (see <see cref="PlanAsync"/>); throws with the stderr tail when the script fails.</summary>
    public async Task<HostScriptResult> PlanOrThrowAsync(HostRef host, string script, IReadOnlyList<string> args, TimeSpan timeout,
        Action<string> log, ActivityContext context)
    {
        var plan = await PlanAsync(host, HostAccount.Deploy, script, args, new Dictionary<string, string>(), timeout, log, context);
        return plan.Succeeded ? plan : throw new InvalidOperationException($"{script} (plan mode) on {host.Name} exited with {plan.ExitCode}: {plan.StdErrTail}");
    }

    /// <summary>In a dry run the script plans (<see cref="PlanOrThrowAsync"/>), else it runs (<see cref="RunOrThrowAsync"/>).</summary>
    public Task<HostScriptResult> RunOrPlanAsync(HostRef host, string script, IReadOnlyList<string> args, TimeSpan timeout,
        Action<string> log, ActivityContext context) =>
        context.DryRun ? PlanOrThrowAsync(host, script, args, timeout, log, context) : RunOrThrowAsync(host, script, args, timeout, log, context);

    /// <summary>Runs the script as the deploy account under the node's attempt lock and throws with its stderr tail when it fails.</summary>
    public async Task<HostScriptResult> RunOrThrowAsync(HostRef host, string script, IReadOnlyList<string> args, TimeSpan timeout,
        Action<string> log, ActivityContext context)
    {
        var result = await RunAsync(host, HostAccount.Deploy, script, args, new Dictionary<string, string>(), timeout, log, context.CancellationToken,
            AttemptKey(context, host), RecordChanges(context, host));
        return result.Succeeded ? result : throw new InvalidOperationException($"{script} on {host.Name} exited with {result.ExitCode}: {result.StdErrTail}");
    }

    /// <summary>Where a real run's changes on a host go: the node's journal, as "[change] host: ...".</summary>
    public static Action<string> RecordChanges(ActivityContext context, HostRef host) => change => context.Changed($"{host.Name}: {change}");

    private static string UploadChange(string target, UploadReport upload) =>
        $"upload to {target}: {string.Join(", ", upload.Transferred.Select(Path.GetFileName))}";

    private static RemoteCommand Command(string directory, string script, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, HostAccount account, string? attemptKey)
    {
        string[] run = [directory + "/" + script, .. args];
        string[] arguments = attemptKey is null ? run
            : [directory + "/" + AttemptWrapper, attemptKey, ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), .. run];
        return new RemoteCommand
        {
            Program = "bash", Arguments = arguments,
            Environment = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["PGHA_ENV"] = directory + "/" + PgHaEnvironment.FileName },
            Sudo = account == HostAccount.Admin, Timeout = timeout, ThrowOnFailure = false, WorkingDirectory = directory,
        };
    }

    // An attempt that could not take the node's lock in time ran nothing: say so rather than pass on exit code 75.
    private static HostScriptResult Checked(HostScriptResult result, string script, HostRef host, TimeSpan timeout, string? attemptKey) =>
        result.ExitCode == EarlierAttemptStillRuns && attemptKey is not null
            ? throw new InvalidOperationException($"an earlier attempt of this node still runs {script} on {host.Name} after {timeout.TotalSeconds:0} s; " +
                                                  "wait for it to end (or stop it on the host), then retry the node")
            : result;

    private async Task<HostScriptResult> ExecuteAsync(HostRef host, HostAccount account, RemoteCommand command, string described, Action<string> log,
        Action<string>? onChange, CancellationToken ct)
    {
        log("$ " + described);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var changes = new List<string>();
        var clock = Stopwatch.StartNew();
        var result = await cluster.Remote(host, account).RunAsync(command, line =>
        {
            if (line.Stream == OutputStream.StdOut && (line.Text.StartsWith(PlanMarker, StringComparison.Ordinal) || line.Text.StartsWith(ChangeMarker, StringComparison.Ordinal)))
            {
                var change = line.Text[(line.Text.IndexOf(' ') + 1)..];
                lock (changes) changes.Add(change);
                onChange?.Invoke(change);
                return;
            }
            log((line.Stream == OutputStream.StdErr ? "! " : "") + line.Text);
            if (line.Stream == OutputStream.StdOut && line.Text.StartsWith(OutputMarker, StringComparison.Ordinal)
                && line.Text[OutputMarker.Length..].Split('=', 2) is [var key, var value])
                lock (values) values[key] = value;
        }, ct);
        log($"exit code {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.000} s");
        var tail = string.Join(" | ", result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
        return new HostScriptResult(result.ExitCode, Math.Round(clock.Elapsed.TotalSeconds, 3), values, changes, tail);
    }
}
