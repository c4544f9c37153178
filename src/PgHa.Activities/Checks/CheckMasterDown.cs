using System.ComponentModel;
using System.Globalization;
using PgHa.Activities.Fencing;
using PgHa.Activities.Scripts;
using PgHa.Postgres;
using PgHa.Remote;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Runtime;

namespace PgHa.Activities.Checks;

public sealed record CheckMasterDownInput
{
    [Description("Role or host name of the master that is believed broken.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string Master { get; init; } = "master";

    [Description("Role or host name of the standby that would replace it.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string Slave { get; init; } = "slave";

    [Description("Seconds each probe of the master (PostgreSQL, SSH) may take.")]
    public int TimeoutSeconds { get; init; } = 3;

    [Description("Role or host name asked for a third opinion over SSH: if it can still connect to the master's PostgreSQL, the master is alive behind a partition and the failover is refused. Empty: no witness.")]
    public string Witness { get; init; } = "replica";

    [Description("Seconds to wait for the slave's WAL receiver to lose the master (it notices within wal_receiver_timeout, 5 s as deployed).")]
    public int WaitForSlaveSeconds { get; init; } = 20;
}

[Activity("CheckMasterDown", Description = "Evidence for an unplanned failover, read-only: the master does not accept connections from the bastion (bounded), the slave is a standby whose WAL receiver has lost the master, a witness host (the replica) gets no answer from it either, and what a promotion of the slave would lose — exactly (WAL on the master's disk after the slave's position, read with pg_waldump over SSH) when the master's host answers and its PostgreSQL is down, else a lower bound (the WAL receiver's last report, the newest CheckCluster's sample of the master) and the time since the master was last heard. Fails, changing nothing, when the master is in fact a reachable primary, or the witness still reaches it (a partition).",
    Category = "Checks")]
[ActivityOutput("summary", "The evidence and the estimate in one paragraph, for the approval prompt.")]
[ActivityOutput("masterPostgres", "What connecting to the master's PostgreSQL from the bastion gave.")]
[ActivityOutput("masterSsh", "Whether the master's host answers on SSH, and what PostgreSQL does there.")]
[ActivityOutput("slaveReceivedLsn", "The last WAL position the slave received.")]
[ActivityOutput("slaveReplayedLsn", "The last WAL position the slave replayed.")]
[ActivityOutput("dataAtRiskBytes", "WAL bytes on the master that the slave does not have (null: unknown).")]
[ActivityOutput("commitsAtRisk", "Commits among them (null: unknown).")]
[ActivityOutput("exact", "true when the loss was read from the master's own WAL; false when it is a lower bound.")]
[ActivityOutput("masterLastHeardAt", "When the slave last heard from the master (or replayed its last commit).")]
[ActivityOutput("lastCheckedMasterLsn", "The master's LSN in the newest CheckCluster of this cluster (null: none), and lastCheckedAt when.")]
public sealed class CheckMasterDown : Activity<CheckMasterDownInput>
{
    public const string Script = "wal_at_risk.sh";

    protected override async Task<ActivityResult> ExecuteAsync(CheckMasterDownInput input, ActivityContext context)
    {
        MasterAndSlave pair;
        try
        {
            pair = MasterAndSlave.Resolve(context, input.Master, input.Slave, input.TimeoutSeconds);
            if (input.WaitForSlaveSeconds is < 0 or > 600) throw new ActivityInputException("waitForSlaveSeconds: give 0 to 600 seconds");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var (cluster, master, slave, timeout) = pair;
        var ct = context.CancellationToken;
        var probe = new PostgresProbe();
        try
        {
            // 1. The master, as the applications' side sees it.
            var masterEndpoint = pair.Endpoint(master);
            var reach = await probe.IsUpAsync(masterEndpoint, ct);
            if (reach.IsUp)
            {
                var state = await probe.GetServerStateAsync(masterEndpoint, ct);
                return ActivityResult.Failed(state.InRecovery
                    ? $"{master} answers as a standby, not a broken master: the inventory's roles do not match the servers; run CheckCluster and fix the roles first"
                    : $"{master} is reachable and a primary (timeline {state.Timeline}, at {state.CurrentLsn}): it is not broken; nothing was changed. Use planned-failover for a switchover");
            }
            var masterPostgres = $"no connection from the bastion within {input.TimeoutSeconds} s ({reach})";
            context.Log($"{master}: PostgreSQL {masterPostgres}");

            // 2. The slave: a standby, and its WAL receiver must have lost the master too (wal_receiver_timeout bounds that).
            var slaveEndpoint = pair.Endpoint(slave);
            var slaveState = await probe.GetServerStateAsync(slaveEndpoint, ct);
            if (!slaveState.InRecovery)
                return ActivityResult.Failed($"{slave} is already a primary (timeline {slaveState.Timeline}); nothing was changed. If it was promoted outside this tool, fix the roles with CheckCluster first");
            WalReceiverStatus? lastStreaming = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(input.WaitForSlaveSeconds);
            while (true)
            {
                var receiver = await probe.GetWalReceiverAsync(slaveEndpoint, ct);
                var streamingFromMaster = receiver is { Status: "streaming" } && receiver.SenderHost == master.Address;
                if (!streamingFromMaster)
                {
                    context.Log($"{slave}: WAL receiver {(receiver is null ? "not running" : $"{receiver.Status} from {receiver.SenderHost}")}: it has lost {master}");
                    break;
                }
                lastStreaming = receiver;
                if (DateTime.UtcNow > deadline)
                    return ActivityResult.Failed($"{slave} still streams from {master} (last message {receiver!.LastMessageReceivedAt:HH:mm:ss.fff} UTC) after {input.WaitForSlaveSeconds} s: " +
                                                 $"the master is alive; only the bastion cannot reach it ({masterPostgres}). Nothing was changed; fix the network, do not fail over");
                await Task.Delay(500, ct);
            }
            slaveState = await probe.GetServerStateAsync(slaveEndpoint, ct);
            var received = slaveState.ReceiveLsn ?? slaveState.ReplayLsn;
            var lastHeard = lastStreaming?.LastMessageReceivedAt ?? slaveState.LastReplayedTransactionAt;

            // A third opinion: a master that the replica still reaches is alive behind a partition, not dead.
            var (witnessReaches, witness) = await AskWitnessAsync(cluster, input.Witness, master, pair.Timeout, context);
            if (witnessReaches)
                return ActivityResult.Failed($"{witness}: {master} is alive behind a partition (the bastion and {slave} cannot reach it), not broken. " +
                                             "Nothing was changed; fix the network, or fence it by hand before failing over");

            // 3. The master's host: if it answers, its own WAL says exactly what the slave lacks.
            string masterSsh;
            long? bytes = null;
            int? commits = null;
            var exact = false;
            string? lastCommitAt = null;
            if (!await HostFencing.AnswersAsync(master, timeout, ct)) masterSsh = $"does not answer on SSH within {input.TimeoutSeconds} s";
            else if (received is null) masterSsh = "answers on SSH (the slave has no received position to compare with)";
            else if (context.DryRun) masterSsh = $"answers on SSH (dry run: {Script} is not run there, so its WAL is not read)";
            else
            {
                var result = await HostScript.For(cluster, context).RunAsync(master, HostAccount.Deploy, Script, [received.Value.ToString()],
                    new Dictionary<string, string>(), TimeSpan.FromSeconds(30), l => context.Log($"[{master.Name}] {l}"), ct);
                if (!result.Succeeded) masterSsh = $"answers on SSH; {Script} failed ({result.StdErrTail})";
                else
                {
                    var role = result.Value("liveRole", Script);
                    masterSsh = $"answers on SSH; PostgreSQL there is {role}";
                    if (role == "stopped" && result.Values.TryGetValue("bytesAfter", out var b))
                    {
                        bytes = long.Parse(b, CultureInfo.InvariantCulture);
                        commits = int.Parse(result.Value("commitsAfter", Script), CultureInfo.InvariantCulture);
                        lastCommitAt = result.Value("lastCommitAt", Script) is { Length: > 0 } at ? at : null;
                        exact = true;
                    }
                }
            }
            if (!exact && lastStreaming?.LatestEndLsn is { } reported && received is { } r && reported > r) bytes = reported - r;
            // What the product itself last saw of the master: the newest CheckCluster of this cluster that read it as a primary.
            var sample = await LastCheckSampleAsync(context, cluster.Inventory.Id, master.Name, ct);
            if (!exact && sample is { } seen && received is { } got && seen.Lsn > got && (bytes is null || seen.Lsn - got > bytes)) bytes = seen.Lsn - got;
            var sampled = sample is not { } last ? "no earlier CheckCluster of this cluster saw it as a primary"
                : $"the last CheckCluster (run {last.RunId}, {last.At:yyyy-MM-dd HH:mm:ss} UTC) saw it at {last.Lsn}, " +
                  (received is { } rcv && rcv >= last.Lsn ? "which the slave has" : "which the slave has NOT all received");

            var estimate = exact
                ? (bytes == 0 ? $"nothing is lost: the slave received all of {master.Name}'s WAL (read from its disk)"
                    : $"{commits} commit(s) in {bytes} bytes of WAL on {master.Name}'s disk never reached the slave (last at {lastCommitAt ?? "?"}); promoting the slave loses them")
                : $"{master.Name}'s own WAL cannot be read; " +
                  (bytes is { } lower ? $"at least {lower} bytes it reported are not on the slave, and " : "") +
                  $"anything it committed after {lastHeard:HH:mm:ss.fff} UTC (last heard, {(DateTimeOffset.UtcNow - lastHeard)?.TotalSeconds:0.0} s ago) is at risk";
            var summary = $"{master.Name} is down: PostgreSQL {masterPostgres}; its host {masterSsh}; {witness}. {slave.Name} is a standby that has lost it " +
                          $"(received {received}, replayed {slaveState.ReplayLsn}, timeline {slaveState.Timeline}); {sampled}. Data at risk: {estimate}.";
            context.Log(summary);
            return ActivityResult.Done(new
            {
                summary, masterPostgres, masterSsh, witness,
                slaveReceivedLsn = received?.ToString(), slaveReplayedLsn = slaveState.ReplayLsn?.ToString(),
                dataAtRiskBytes = bytes, commitsAtRisk = commits, exact, masterLastHeardAt = lastHeard,
                lastCheckedMasterLsn = sample?.Lsn.ToString(), lastCheckedAt = sample?.At,
            });
        }
        catch (Exception e) when (e is PostgresProbeException or Remote.RemoteException or InvalidOperationException)
        {
            return ActivityResult.Failed(e.Message);
        }
    }
    /// <summary>The newest CheckCluster snapshot (among this cluster's last runs) that read the host as a primary with its LSN.</summary>
    private static async Task<(Lsn Lsn, DateTime At, string RunId)?> LastCheckSampleAsync(ActivityContext context, string clusterId, string host, CancellationToken ct)
    {
        var runtime = ClusterHosts.Service<RunbookRuntime>(context);
        foreach (var summary in await runtime.ListRunsAsync(new RunFilter { ClusterId = clusterId, Limit = 20 }, ct))
        {
            if (await runtime.GetRunAsync(summary.RunId, ct) is not { } run) continue;
            var checks = run.Nodes.Where(n => n.Activity == "CheckCluster").Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
            foreach (var entry in run.Journal.Where(j => checks.Contains(j.NodeId) && j.Outputs is not null).OrderByDescending(j => j.EndedAt))
            {
                if (entry.Outputs!.Value.TryGetProperty("snapshot", out var snapshot) && snapshot.TryGetProperty("hosts", out var hosts)
                    && hosts.TryGetProperty(host, out var seen) && seen.TryGetProperty("role", out var role) && role.GetString() == "primary"
                    && seen.TryGetProperty("currentLsn", out var lsn) && Lsn.TryParse(lsn.GetString(), out var at))
                    return (at, entry.EndedAt ?? entry.StartedAt, run.Run.RunId);
            }
        }
        return null;
    }

    /// <summary>Whether the witness host gets an answer from the master's PostgreSQL (psql from there, bounded).</summary>
    private static async Task<(bool Reaches, string Said)> AskWitnessAsync(ClusterHosts cluster, string reference, HostRef master, TimeSpan timeout, ActivityContext context)
    {
        if (string.IsNullOrWhiteSpace(reference)) return (false, "no witness asked");
        var witness = cluster.Resolve(reference);
        if (witness.Name == master.Name) throw new ActivityInputException($"witness: {witness.Name} is the master itself");
        if (!await HostFencing.AnswersAsync(witness, timeout, context.CancellationToken)) return (false, $"the witness {witness.Name} does not answer on SSH either (no third opinion)");
        var seconds = Math.Max(1, (int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var conninfo = $"host={master.Address} port={cluster.Inventory.Ports.Postgres} user={ClusterHosts.LondisteUser} dbname=postgres connect_timeout={seconds}";
        var seen = (await cluster.Remote(witness, HostAccount.Deploy).ReadAsync(RemoteCommand.Bash(
            $"timeout {seconds} psql -X -w -qAt -d {ShellQuoting.Quote(conninfo)} -c 'SELECT pg_is_in_recovery()' 2>&1 | tail -n 1; true")
            with { Timeout = timeout + TimeSpan.FromSeconds(10) }, context.CancellationToken)).Trim();
        context.Log($"witness {witness}: psql to {master.Address} from there answered: {(seen.Length == 0 ? "nothing" : seen)}");
        return seen == "f"
            ? (true, $"the witness {witness.Name} still gets answers from {master.Name}'s PostgreSQL as a primary")
            : (false, $"the witness {witness.Name} gets no answer from it either ({(seen.Length == 0 ? "no answer" : seen)})");
    }
}
