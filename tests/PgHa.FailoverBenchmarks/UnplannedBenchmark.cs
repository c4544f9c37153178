using Microsoft.Extensions.DependencyInjection;
using PgHa.Activities.Tests;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

namespace PgHa.FailoverBenchmarks;

/// <summary>
/// Unplanned failover: N times, the master's postgres is SIGKILLed, unplanned-failover-master-broken starts, its approval
/// is given the moment it is asked, and a held connection through the surviving pgbouncer (on the slave's host) waits for
/// its first acknowledged write on the new primary; then the old master is rebuilt as the slave (the offered last step)
/// and the next round goes the other way. Prints per run and as medians the time from the approval and from the kill.
/// </summary>
internal static class UnplannedBenchmark
{
    public static async Task RunAsync(LabDeploymentFixture lab, int runs)
    {
        await lab.Runtime.Runbooks.SaveAsync(await File.ReadAllTextAsync(Path.Combine(LabDeploymentFixture.WorkflowsDirectory(), "unplanned-failover-master-broken.json")), "bench", asNextVersion: false, published: true);
        var clusters = lab.Services.GetRequiredService<ClusterDirectory>();
        var password = lab.Secret("appPassword");
        var rows = new List<(int Number, double FromApprovalMs, double FromKillMs, double EvidenceMs, int Lost, int AtRisk)>();
        var first = (await clusters.GetAsync("lab"))!;
        await HeldConnectionWriter.CreateTableAsync(first.HostForRole("master")!.Address, password);
        var bouncers = first.Hosts.Where(h => h.Name == first.Roles["master"] || h.Name == first.Roles["slave"]).ToList();
        var writers = bouncers.Select(h => new HeldConnectionWriter($"bench-unplanned-{Bench.Started}-via-{h.Name}", h.Address, first.Ports.PgBouncer, password)).ToArray();
        try
        {
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));
            for (var i = 1; i <= runs; i++)
            {
                var inventory = (await clusters.GetAsync("lab"))!;
                var newMaster = inventory.HostForRole("slave")!;
                var surviving = writers.Single(w => w.Name.EndsWith(newMaster.Name, StringComparison.Ordinal));
                await lab.Lab.KillPostgresAsync(inventory.Roles["master"]);
                var killedAt = surviving.Now;
                var runId = (await lab.Runtime.StartRunAsync(new StartRunRequest { RunbookId = "unplanned-failover-master-broken", ClusterId = "lab", StartedBy = "bench" })).Run.RunId;
                await WaitForApprovalAsync(lab, runId, "approve");
                var approvedAt = surviving.Now;
                await lab.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, new Decider("bench-approver", ["approver"]), "bench: approved at once");
                var firstWrite = await FirstCommitAsync(surviving, approvedAt, newMaster.Address);
                await WaitForApprovalAsync(lab, runId, "offer-rebuild");
                var run = (await lab.Runtime.GetRunAsync(runId))!;
                var atRisk = run.Journal.Last(j => j.NodeId == "evidence" && j.Outputs is not null).Outputs!.Value.GetProperty("commitsAtRisk") is { ValueKind: System.Text.Json.JsonValueKind.Number } n ? n.GetInt32() : -1;
                var evidence = run.Nodes.Single(x => x.NodeId == "evidence");
                await lab.Runtime.DecideAsync(runId, "offer-rebuild", ApprovalChoice.Approve, new Decider("bench-approver", ["approver"]), "rebuild");
                var ended = await WaitForEndAsync(lab, runId);
                Bench.Require((ended, TimeSpan.Zero), $"unplanned #{i}");
                foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
                var lost = await Bench.LostAsync(writers, newMaster.Address, password);
                rows.Add((i, (firstWrite - approvedAt).TotalMilliseconds, (firstWrite - killedAt).TotalMilliseconds,
                    (evidence.EndedAt!.Value - evidence.StartedAt!.Value).TotalMilliseconds, lost, atRisk));
                var r = rows[^1];
                Console.WriteLine($"unplanned #{i}  {inventory.Roles["master"]} killed -> {newMaster.Name}: first write {r.FromApprovalMs,5:0} ms after the approval, " +
                                  $"{r.FromKillMs,5:0} ms after the kill (evidence node {r.EvidenceMs:0} ms); acknowledged rows lost so far {lost} (commits at risk shown at approval: {atRisk})");
            }
        }
        finally
        {
            foreach (var w in writers) await w.DisposeAsync();
        }
        Console.WriteLine();
        Console.WriteLine($"median of {rows.Count}: first acknowledged write through the surviving pgbouncer {Bench.Median(rows.Select(r => r.FromApprovalMs)):0} ms after the approval " +
                          $"(max {rows.Max(r => r.FromApprovalMs):0}), {Bench.Median(rows.Select(r => r.FromKillMs)):0} ms after the kill");
        Console.WriteLine($"target: < 3000 ms from the approval -> {(rows.All(r => r.FromApprovalMs < 3000) ? "met in every run" : rows.Count(r => r.FromApprovalMs < 3000) + " of " + rows.Count + " runs")}");
    }

    private static async Task WaitForApprovalAsync(LabDeploymentFixture lab, string runId, string node)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var run = (await lab.Runtime.GetRunAsync(runId))!;
            if (run.Approvals.Any(a => a.NodeId == node && a.Decision is null)) return;
            if (RunStatus.IsFinished(run.Run.Status) || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{runId} is {run.Run.Status}, not waiting at {node}:\n{LabDeploymentFixture.JournalText(run)}");
            await Task.Delay(20);
        }
    }

    private static async Task<RunView> WaitForEndAsync(LabDeploymentFixture lab, string runId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(15);
        while (true)
        {
            var run = (await lab.Runtime.GetRunAsync(runId))!;
            if (RunStatus.IsFinished(run.Run.Status) || DateTime.UtcNow > deadline) return run;
            await Task.Delay(200);
        }
    }

    private static async Task<TimeSpan> FirstCommitAsync(HeldConnectionWriter writer, TimeSpan after, string server)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            lock (writer.Acknowledged)
                foreach (var a in writer.Acknowledged)
                    if (a.At > after && a.Server == server) return a.At;
            await Task.Delay(5);
        }
        throw new TimeoutException($"{writer.Name}: no write acknowledged by {server} within 2 minutes of the approval");
    }
}
