using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PgHa.Activities.Tests;
using PgHa.Clusters;
using PgHa.Remote;
using Xunit.Abstractions;

namespace PgHa.Server.Tests;

/// <summary>
/// The crash matrix of the runbooks that build a cluster (environment preparation, deployment preparation,
/// deployment): each runs through a real server process that is SIGKILLed inside every mutating node, at the node's
/// first line of host output (its remote work in progress), and replaced by a new process on the same store. Every
/// run completes, no node that had completed runs again, a resumed attempt never runs beside the one the dead server
/// left on the host (ps right after the kill; the attempt lock's PGHA_ATTEMPT lines), and the cluster ends as an
/// uninterrupted run of the same runbooks left it: the same host state over ssh, and a row written on the master
/// reaches the slave and the Londiste replica (psql on each host).
/// </summary>
[Collection(LabCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed partial class DeploymentCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Runbooks = ["environment-preparation", "deployment-preparation", "deployment"];
    private ServerOnTheLab _lab = null!;
    private ClusterInventory _inventory = null!;

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    public async Task InitializeAsync()
    {
        _lab = await ServerOnTheLab.StartAsync();
        _inventory = ClusterInventory.FromJson(await File.ReadAllTextAsync(_lab.Lab.InventoryFile));
    }

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Runbooks_that_build_the_cluster_killed_inside_every_mutating_node_complete_as_an_uninterrupted_run_would()
    {
        foreach (var runbook in Runbooks)
            Assert.Equal("Completed", Http.Status(await _lab.RunToEndAsync(runbook, new { })));
        var reference = await ComparableStateAsync();

        JsonArray catalog;
        using (var op = _lab.Operator()) catalog = (await (await op.GetAsync("api/activities")).Body()).AsArray();
        var mutates = catalog.ToDictionary(a => a!["name"]!.GetValue<string>(), a => a!["mutates"]!.GetValue<bool>());

        var matrix = new List<string>();
        foreach (var runbook in Runbooks)
        {
            var definition = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ServerOnTheLab.WorkflowsDirectory, runbook + ".json")))!;
            var targets = definition["nodes"]!.AsArray().Where(n => mutates[n!["activity"]!.GetValue<string>()]).Select(n => n!["id"]!.GetValue<string>()).ToList();
            string runId;
            using (var op = _lab.Operator()) runId = await op.StartRunAsync(new { runbook, cluster = "lab", inputs = new { } });

            var kills = new Dictionary<string, Kill>();
            string? held = null;
            for (var i = 0; i < targets.Count; i++)
            {
                var node = targets[i];
                var at = await KillInsideAsync(runId, node, held is null ? null : () => ReleaseAttemptLockAsync(runId, held));
                Assert.True(at is not null, $"{runbook}: node {node} ended before its host output was seen; no kill inside it");
                // Left running by the dead server: watched until it ends while the next server starts and resumes the run.
                kills[node] = new Kill(at!, DateTime.UtcNow, WatchLeftAttemptsAsync(runId, node));
                // The next server resumes the run while it starts, before this test can follow it: the next target
                // waits on its attempt lock (held here as an earlier attempt would) until the test follows again.
                held = i + 1 < targets.Count ? targets[i + 1] : null;
                if (held is not null) await HoldAttemptLockAsync(runId, held);
                await _lab.RestartAsync();
            }
            var run = await _lab.FinishAsync(runId);

            var journal = run["journal"]!.AsArray().Select(j => j!).ToList();
            foreach (var node in targets)
            {
                var attempts = journal.Where(j => j["nodeId"]!.GetValue<string>() == node).ToList();
                // No completed node ran again: each succeeded exactly once, after its interrupted attempts.
                Assert.Single(attempts, a => a["status"]!.GetValue<string>() == "Succeeded");
                Assert.All(attempts, a => Assert.Contains(a["status"]!.GetValue<string>(), new[] { "Succeeded", "Interrupted" }));
                var interrupted = attempts.Count(a => a["status"]!.GetValue<string>() == "Interrupted");

                // The attempt after the kill never ran beside the dead server's: that one was gone before it started,
                // or it waited (pgha_attempt.sh) until it was.
                var kill = kills[node];
                var next = attempts.FirstOrDefault(a => a["startedAt"]!.GetValue<DateTime>().ToUniversalTime() > kill.At);
                var leftEnded = await kill.LeftAttemptsEnded;
                var log = next?["log"]?.GetValue<string>() ?? "";
                var waited = log.Contains("an earlier attempt of this node still runs", StringComparison.Ordinal);
                if (waited) Assert.Contains("the earlier attempt ended; this attempt runs now", log);
                string overlap;
                if (leftEnded is null) overlap = "none left running";
                else
                {
                    var started = next?["startedAt"]!.GetValue<DateTime>().ToUniversalTime();
                    overlap = $"left running, ended {(leftEnded.Value - kill.At).TotalSeconds:0.00} s after the kill; next attempt started " +
                              (started is null ? "never (the node had ended)" : $"{(started.Value - kill.At).TotalSeconds:0.00} s after it{(waited ? ", waited for it" : "")}");
                    // A margin for the moment the next attempt's command reaches the host after its journal start.
                    Assert.True(started is null || waited || leftEnded <= started.Value.AddMilliseconds(500), $"{runbook} × {node}: the next attempt ran beside the dead server's ({overlap})");
                }
                matrix.Add($"{runbook} × {node}: killed at \"{Shorten(kill.Line)}\" → Completed; interrupted attempts {interrupted}; dead server's attempt: {overlap}");
            }
            Log($"[crash] {runbook}: {run["run"]!["status"]}");
        }
        Log("[crash] crash matrix (runbook × mutating node):\n  " + string.Join("\n  ", matrix));

        var after = await ComparableStateAsync();
        foreach (var role in reference.Keys)
            Assert.True(reference[role] == after[role], $"{role} differs from the uninterrupted run's:\n--- uninterrupted\n{reference[role]}\n--- after the crashes\n{after[role]}");
        await AssertReplicatesEndToEndAsync();
    }

    /// <summary>
    /// Kills the server once the node shows host output in its running attempt (already in the stream's snapshot, or
    /// as it arrives), approving what the run asks meanwhile; null when the node ended before that could be seen.
    /// </summary>
    private async Task<string?> KillInsideAsync(string runId, string node, Func<Task>? release)
    {
        using var ap = _lab.Approver();
        // An approval opened while the snapshot was taken shows in the snapshot and again as its event: decide it once.
        var approved = new HashSet<string>();
        async Task ApproveOnceAsync(string approvalNode)
        {
            if (approved.Add(approvalNode)) await ServerOnTheLab.ApproveAsync(ap, runId, approvalNode);
        }
        await foreach (var (kind, data) in _lab.EventsAsync(runId, TimeSpan.FromMinutes(10)))
        {
            switch (kind)
            {
                case "snapshot":
                    // Followed from here on: the attempt waiting on the held lock may go ahead.
                    if (release is not null) { await release(); release = null; }
                    var attempts = data["journal"]!.AsArray().Where(j => j!["nodeId"]!.GetValue<string>() == node).ToList();
                    if (attempts.Any(a => a!["status"]!.GetValue<string>() == "Succeeded")) return null;
                    var running = attempts.LastOrDefault(a => a!["status"]!.GetValue<string>() == "Running");
                    var seen = (running?["log"]?.GetValue<string>() ?? "").Split('\n').FirstOrDefault(IsHostOutput);
                    if (seen is not null) { await _lab.Server.KillAsync(); return seen; }
                    foreach (var open in data["approvals"]!.AsArray().Where(a => a!["decision"] is null))
                        await ApproveOnceAsync(open!["nodeId"]!.GetValue<string>());
                    break;
                case "approval.requested":
                    await ApproveOnceAsync(data["nodeId"]!.GetValue<string>());
                    break;
                case "node.log" when data["nodeId"]?.GetValue<string>() == node && IsHostOutput(data["message"]?.GetValue<string>() ?? ""):
                    await _lab.Server.KillAsync();
                    return data["message"]!.GetValue<string>();
                case "node.ended" when data["nodeId"]?.GetValue<string>() == node:
                    return null;
            }
        }
        throw new InvalidOperationException($"the event stream of {runId} ended before node {node} ran");
    }

    /// <summary>
    /// A line the host printed, not the activity's own note of the command it runs or of the upload before it, nor
    /// the attempt lock's note that it waits (the node's work has not begun then).
    /// </summary>
    private static bool IsHostOutput(string line)
    {
        var text = HostPrefix().Replace(line, "");
        return text.Length > 0 && !text.StartsWith("$ ", StringComparison.Ordinal) && !text.StartsWith("scripts ", StringComparison.Ordinal)
               && !text.StartsWith("PGHA_ATTEMPT ", StringComparison.Ordinal);
    }

    /// <summary>
    /// Takes the attempt lock of a node on every host (pgha_attempt.sh's lock file, as the deploy account), as an
    /// attempt of that node still running would hold it, and returns once it is held.
    /// </summary>
    private async Task HoldAttemptLockAsync(string runId, string node)
    {
        foreach (var host in _inventory.Hosts)
        {
            var key = $"{runId}-{node}-{host.Name}";
            await _lab.Host(host.Name).RunAsync(RemoteCommand.Bash(
                $"setsid bash -c 'exec 9>>/tmp/pgha-attempt-{key}.lock && flock 9 && exec -a pgha-test-hold-{key} sleep 600' </dev/null >/dev/null 2>&1 &\n" +
                $"while flock -n /tmp/pgha-attempt-{key}.lock true; do sleep 0.01; done") with { Timeout = TimeSpan.FromSeconds(30) });
        }
    }

    private async Task ReleaseAttemptLockAsync(string runId, string node)
    {
        foreach (var host in _inventory.Hosts)
            // [h]: the pattern must not match the shell that runs pkill.
            await _lab.Host(host.Name).RunAsync(RemoteCommand.Bash($"pkill -f pgha-test-[h]old-{runId}-{node}-{host.Name} || true") with { Timeout = TimeSpan.FromSeconds(30) });
    }

    [GeneratedRegex(@"^\[[^\]]+\] ")]
    private static partial Regex HostPrefix();

    private sealed record Kill(string Line, DateTime At, Task<DateTime?> LeftAttemptsEnded);

    /// <summary>
    /// When the node's attempts that the dead server left on the hosts (ps: pgha_attempt.sh keys them by run, node and
    /// host) had all ended, by the hosts' clock (the lab's hosts share this machine's); null when none was left running.
    /// </summary>
    private async Task<DateTime?> WatchLeftAttemptsAsync(string runId, string node)
    {
        DateTime? ended = null;
        foreach (var host in _inventory.Hosts)
        {
            var key = ShellQuoting.Quote($"{runId}-{node}-{host.Name}");
            var answer = await _lab.Host(host.Name, "devops").ReadAsync(RemoteCommand.Bash(
                $"pgrep -f -- {key} >/dev/null || {{ echo none; exit 0; }}; while pgrep -f -- {key} >/dev/null; do sleep 0.05; done; date -u +%FT%T.%3NZ")
                with { Sudo = true, Timeout = TimeSpan.FromMinutes(5) });
            if (answer.Trim() != "none" && DateTime.Parse(answer.Trim(), null, System.Globalization.DateTimeStyles.AdjustToUniversal) is var at && (ended is null || at > ended))
                ended = at;
        }
        return ended;
    }

    /// <summary>The shared host-state reader, less what differs between two correct deployments: pids and start times (postmaster.pid's hash).</summary>
    private async Task<Dictionary<string, string>> ComparableStateAsync()
    {
        var state = await HostState.ReadAsync(_inventory, role => _lab.Host(_inventory.HostForRole(role)!.Name, "devops"),
            purpose => _lab.Secrets[_inventory.Secrets[purpose]]);
        return state.ToDictionary(s => s.Key, s => string.Join('\n', s.Value.Split('\n')
            .Where(l => !l.StartsWith("postmaster started", StringComparison.Ordinal))
            .Select(l => l.EndsWith("/postmaster.pid", StringComparison.Ordinal) ? l[(l.IndexOf(' ') + 1)..] : l) // pid and start time inside
            .Select(l => PidNumber().Replace(l, "pid N"))));
    }

    [GeneratedRegex(@"pid \d+")]
    private static partial Regex PidNumber();

    /// <summary>A row written on the master (psql there) reaches the slave by streaming and the replica by Londiste.</summary>
    private async Task AssertReplicatesEndToEndAsync()
    {
        var token = "crash-matrix-" + Guid.NewGuid().ToString("N");
        await Psql("master", $"INSERT INTO pgha_smoke.tokens (token, written_on) VALUES ('{token}', 'crash matrix')");
        foreach (var role in new[] { "slave", "replica" })
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (await Psql(role, $"SELECT count(*) FROM pgha_smoke.tokens WHERE token = '{token}'") != "1")
            {
                Assert.True(DateTime.UtcNow < deadline, $"the row written on the master did not reach the {role} within 90 s");
                await Task.Delay(500);
            }
        }
    }

    private Task<string> Psql(string role, string sql) => _lab.PsqlAsync(_inventory.HostForRole(role)!.Name, sql);

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";
}
