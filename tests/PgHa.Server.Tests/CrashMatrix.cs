using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PgHa.Clusters;
using PgHa.Remote;

namespace PgHa.Server.Tests;

/// <summary>
/// Kills the server of <see cref="ServerOnTheLab"/> inside a runbook's nodes (at a node's first line of host output:
/// its remote work in progress), and checks each interrupted node after the run ends: it succeeded exactly once after
/// its interrupted attempts, and its next attempt never ran beside the one the dead server left on a host (ps on the
/// hosts right after the kill; the attempt lock's PGHA_ATTEMPT lines). Collects the matrix rows (runbook × node × result).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class CrashMatrix(ServerOnTheLab lab)
{
    private readonly ClusterInventory _inventory = ClusterInventory.FromJson(File.ReadAllText(lab.Lab.InventoryFile));
    private readonly Dictionary<string, Kill> _kills = new(StringComparer.Ordinal);

    public List<string> Rows { get; } = [];

    /// <summary>The nodes of a runbook in workflows/ whose activity changes something (GET /api/activities: mutates), in file order.</summary>
    public async Task<List<string>> MutatingNodesAsync(string runbook)
    {
        JsonArray catalog;
        using (var op = lab.Operator()) catalog = (await (await op.GetAsync("api/activities")).Body()).AsArray();
        var mutates = catalog.ToDictionary(a => a!["name"]!.GetValue<string>(), a => a!["mutates"]!.GetValue<bool>());
        var definition = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ServerOnTheLab.WorkflowsDirectory, runbook + ".json")))!;
        return definition["nodes"]!.AsArray().Where(n => mutates[n!["activity"]!.GetValue<string>()]).Select(n => n!["id"]!.GetValue<string>()).ToList();
    }

    /// <summary>
    /// Kills the server once one of <paramref name="nodes"/> shows host output in its running attempt (already in the
    /// stream's snapshot, or as it arrives), approving what the run asks meanwhile, and starts watching what the dead
    /// server left running for that node; returns the node, or null when the run ended first.
    /// </summary>
    public async Task<string?> KillInsideAsync(string runId, IReadOnlyCollection<string> nodes, Func<Task>? onFollowing = null)
    {
        using var ap = lab.Approver();
        // An approval opened while the snapshot was taken shows in the snapshot and again as its event: decide it once.
        var approved = new HashSet<string>();
        async Task ApproveOnceAsync(string approvalNode)
        {
            if (approved.Add(approvalNode)) await ServerOnTheLab.ApproveAsync(ap, runId, approvalNode);
        }
        async Task<string> KillAsync(string node, string line)
        {
            await lab.Server.KillAsync();
            _kills[Key(runId, node)] = new Kill(line, DateTime.UtcNow, WatchLeftAttemptsAsync(runId, node));
            return node;
        }
        await foreach (var (kind, data) in lab.EventsAsync(runId, TimeSpan.FromMinutes(10)))
        {
            switch (kind)
            {
                case "snapshot":
                    // Followed from here on.
                    if (onFollowing is not null) { await onFollowing(); onFollowing = null; }
                    if (Http.Ended(data)) return null;
                    foreach (var node in nodes)
                    {
                        var running = data["journal"]!.AsArray().LastOrDefault(j => j!["nodeId"]!.GetValue<string>() == node && j["status"]!.GetValue<string>() == "Running");
                        var seen = (running?["log"]?.GetValue<string>() ?? "").Split('\n').FirstOrDefault(IsHostOutput);
                        if (seen is not null) return await KillAsync(node, seen);
                    }
                    foreach (var open in data["approvals"]!.AsArray().Where(a => a!["decision"] is null))
                        await ApproveOnceAsync(open!["nodeId"]!.GetValue<string>());
                    break;
                case "approval.requested":
                    await ApproveOnceAsync(data["nodeId"]!.GetValue<string>());
                    break;
                case "node.log" when data["nodeId"]?.GetValue<string>() is { } node && nodes.Contains(node) && IsHostOutput(data["message"]?.GetValue<string>() ?? ""):
                    return await KillAsync(node, data["message"]!.GetValue<string>());
                case "run.ended":
                    return null;
            }
        }
        return null;
    }

    /// <summary>
    /// After the run ended: each node killed inside succeeded exactly once, after its interrupted attempts, and its next
    /// attempt did not run beside the dead server's; no other node succeeded twice. Adds a matrix row per killed node.
    /// </summary>
    public async Task CheckAsync(string runbook, string runId, JsonNode run)
    {
        var journal = run["journal"]!.AsArray().Select(j => j!).ToList();
        Assert.All(journal.Where(j => j["status"]!.GetValue<string>() == "Succeeded").GroupBy(j => j["nodeId"]!.GetValue<string>()), g => Assert.Single(g));
        foreach (var (key, kill) in _kills.Where(k => k.Key.StartsWith(runId + "/", StringComparison.Ordinal)).ToList())
        {
            var node = key[(runId.Length + 1)..];
            var attempts = journal.Where(j => j["nodeId"]!.GetValue<string>() == node).ToList();
            Assert.Single(attempts, a => a["status"]!.GetValue<string>() == "Succeeded");
            Assert.All(attempts, a => Assert.Contains(a["status"]!.GetValue<string>(), new[] { "Succeeded", "Interrupted" }));
            var interrupted = attempts.Count(a => a["status"]!.GetValue<string>() == "Interrupted");

            // The attempt after the kill never ran beside the dead server's: that one was gone before it started, or it
            // waited (pgha_attempt.sh) until it was.
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
            Rows.Add($"{runbook} × {node}: killed at \"{Shorten(kill.Line)}\" → {Http.Status(run)}; interrupted attempts {interrupted}; dead server's attempt: {overlap}");
            _kills.Remove(key);
        }
    }

    /// <summary>
    /// A line the host printed, not the activity's own note of the command it runs or of the upload before it, nor
    /// the attempt lock's note that it waits (the node's work has not begun then).
    /// </summary>
    private static bool IsHostOutput(string line)
    {
        var text = HostPrefix().Replace(line, "");
        return text.Length > 0 && !text.StartsWith("$ ", StringComparison.Ordinal) && !text.StartsWith("scripts ", StringComparison.Ordinal)
               && !text.StartsWith("PGHA_ATTEMPT ", StringComparison.Ordinal) && HostPrefix().IsMatch(line);
    }

    /// <summary>
    /// Takes the attempt lock of a node on every host (pgha_attempt.sh's lock file, as the deploy account), as an
    /// attempt of that node still running would hold it, and returns once it is held.
    /// </summary>
    public async Task HoldAttemptLockAsync(string runId, string node)
    {
        foreach (var host in _inventory.Hosts)
        {
            var key = $"{runId}-{node}-{host.Name}";
            await lab.Host(host.Name).RunAsync(RemoteCommand.Bash(
                $"setsid bash -c 'exec 9>>/tmp/pgha-attempt-{key}.lock && flock 9 && exec -a pgha-test-hold-{key} sleep 600' </dev/null >/dev/null 2>&1 &\n" +
                $"while flock -n /tmp/pgha-attempt-{key}.lock true; do sleep 0.01; done") with { Timeout = TimeSpan.FromSeconds(30) });
        }
    }

    public async Task ReleaseAttemptLockAsync(string runId, string node)
    {
        foreach (var host in _inventory.Hosts)
            // [h]: the pattern must not match the shell that runs pkill.
            await lab.Host(host.Name).RunAsync(RemoteCommand.Bash($"pkill -f pgha-test-[h]old-{runId}-{node}-{host.Name} || true") with { Timeout = TimeSpan.FromSeconds(30) });
    }

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
            var answer = await lab.Host(host.Name, "devops").ReadAsync(RemoteCommand.Bash(
                $"pgrep -f -- {key} >/dev/null || {{ echo none; exit 0; }}; while pgrep -f -- {key} >/dev/null; do sleep 0.05; done; date -u +%FT%T.%3NZ")
                with { Sudo = true, Timeout = TimeSpan.FromMinutes(5) });
            if (answer.Trim() != "none" && DateTime.Parse(answer.Trim(), null, System.Globalization.DateTimeStyles.AdjustToUniversal) is var at && (ended is null || at > ended))
                ended = at;
        }
        return ended;
    }

    /// <summary>
    /// The host state a DBA compares (<see cref="PgHa.Activities.Tests.HostState"/>, over ssh and psql), less what
    /// differs between two correct runs: pids and start times (postmaster.pid's hash), the timeline number (one more per
    /// promotion, whichever run made it) and whether a rewind once left a backup_label.old.
    /// </summary>
    public async Task<Dictionary<string, string>> ComparableStateAsync()
    {
        var inventory = _inventory with { Roles = await lab.RolesAsync() };
        var state = await PgHa.Activities.Tests.HostState.ReadAsync(inventory, role => lab.Host(inventory.HostForRole(role)!.Name, "devops"),
            purpose => lab.Secrets[inventory.Secrets[purpose]]);
        return state.ToDictionary(s => s.Key, s => string.Join('\n', s.Value.Split('\n')
            .Where(l => !l.StartsWith("postmaster started", StringComparison.Ordinal) && l != "backup_label.old")
            .Select(l => l.EndsWith("/postmaster.pid", StringComparison.Ordinal) ? l[(l.IndexOf(' ') + 1)..] : l) // pid and start time inside
            .Select(l => l.StartsWith("timeline ", StringComparison.Ordinal) ? "timeline N" : l)
            .Select(l => PidNumber().Replace(l, "pid N"))));
    }

    /// <summary>Asserts that two comparable states (<see cref="ComparableStateAsync"/>) are equal, naming the lines that differ per host.</summary>
    public static void SameState(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string what)
    {
        var differences = PgHa.Activities.Tests.HostState.Differences(expected, actual);
        Assert.True(differences.Count == 0, $"{what}: the hosts differ from an uninterrupted run's ('-' uninterrupted, '+' now):\n  " + string.Join("\n  ", differences));
    }

    private static string Key(string runId, string node) => runId + "/" + node;

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";

    [GeneratedRegex(@"^\[[^\]]+\] ")]
    private static partial Regex HostPrefix();

    [GeneratedRegex(@"pid \d+")]
    private static partial Regex PidNumber();

    private sealed record Kill(string Line, DateTime At, Task<DateTime?> LeftAttemptsEnded);
}
