using Microsoft.Extensions.DependencyInjection;
using PgHa.Activities.Tests;
using PgHa.Workflows.Clusters;

namespace PgHa.FailoverBenchmarks;

/// <summary>
/// Planned failover: per pool mode, N failovers and N failbacks with one held connection per pgbouncer committing every
/// 10 ms; per run and as medians the longest gap between two acknowledged commits, failed attempts, lost commits, the
/// run's wall time and PAUSE→RESUME.
/// </summary>
internal static class PlannedBenchmark
{
    private static readonly string[] PauseWindow = ["pause", "stop-master", "slave-has-checkpoint", "promote", "switch", "resume"];

    public static async Task RunAsync(LabDeploymentFixture lab, int runsPerDirection, IReadOnlyList<string> modes)
    {
        var rows = new List<Row>();
        using var allocations = new AllocationSampler();
        var clusters = lab.Services.GetRequiredService<ClusterDirectory>();
        var password = lab.Secret("appPassword");

        foreach (var mode in modes)
        {
            await lab.SetPoolModeAsync(mode);
            var current = (await clusters.GetAsync("lab"))!;
            await HeldConnectionWriter.CreateTableAsync(current.HostForRole("master")!.Address, password);
            await using var viaMaster = new HeldConnectionWriter($"bench-{mode}-{Bench.Started}-via-master-host", current.HostForRole("master")!.Address, current.Ports.PgBouncer, password);
            await using var viaSlave = new HeldConnectionWriter($"bench-{mode}-{Bench.Started}-via-slave-host", current.HostForRole("slave")!.Address, current.Ports.PgBouncer, password);
            HeldConnectionWriter[] writers = [viaMaster, viaSlave];
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));

            for (var i = 0; i < 2 * runsPerDirection; i++)
            {
                var direction = i % 2 == 0 ? "failover" : "failback";
                var from = writers[0].Now;
                allocations.TakeTop(0);
                var heartbeat = Heartbeat.Start();
                var (run, took) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(10));
                var stall = await heartbeat.StopAsync();
                Bench.Require((run, took), $"{mode} {direction} {i / 2 + 1}");
                foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));
                var master = (await clusters.GetAsync("lab"))!.HostForRole("master")!.Address;
                var pause = run.Nodes.Single(n => n.NodeId == "pause");
                var resume = run.Nodes.Single(n => n.NodeId == "resume");
                var row = new Row(mode, direction, i / 2 + 1,
                    writers.Max(w => w.LongestGap(from).TotalMilliseconds),
                    writers.Sum(w => w.FailedSince(from)),
                    await Bench.LostAsync(writers, master, password),
                    took.TotalSeconds,
                    (resume.StartedAt!.Value - pause.StartedAt!.Value).TotalMilliseconds);
                rows.Add(row);
                Console.WriteLine($"{row.Mode,-11} {row.Direction,-8} #{row.Number}  gap {row.GapMs,6:0} ms  failed {row.Failed,3}  lost {row.Lost,3}  run {row.RunSeconds,5:0.0} s  pause->resume {row.PauseToResumeMs,5:0} ms");
                // Where the pause window goes: each node's own time in it.
                Console.WriteLine("    " + string.Join("  ", PauseWindow.Select(id => run.Nodes.Single(n => n.NodeId == id))
                    .Select(n => $"{n.NodeId} {(n.EndedAt!.Value - n.StartedAt!.Value).TotalMilliseconds:0}")) + " (ms); longest gaps start " +
                    string.Join(", ", writers.Select(w => $"{(w.LongestGapWithStart(from).Start - w.OnClock(pause.StartedAt!.Value)).TotalMilliseconds:0} ms")) + " after the pause node's start; " +
                    $"this process stalled up to {stall.Longest.TotalMilliseconds:0} ms ({(stall.At - pause.StartedAt!.Value).TotalMilliseconds:0} ms after the pause node's start), " +
                    $"GC pauses {stall.GcPauses.TotalMilliseconds:0} ms in the run ({stall.Collections} collections, {stall.AllocatedBytes / 1048576.0:0} MB allocated; most by type: " +
                    string.Join(", ", allocations.TakeTop(5).Select(t => $"{t.Type} {t.Bytes / 1048576.0:0} MB")) + ")");
            }
        }

        Console.WriteLine();
        Console.WriteLine("median per pool mode and direction (gap = longest time between two acknowledged commits of a writer on one held connection):");
        foreach (var g in rows.GroupBy(r => (r.Mode, r.Direction)))
        Console.WriteLine($"{g.Key.Mode,-11} {g.Key.Direction,-8} gap {Bench.Median(g.Select(r => r.GapMs)),6:0} ms  failed {Bench.Median(g.Select(r => (double)r.Failed)),4:0}  lost {g.Sum(r => r.Lost),3} (total)  " +
                          $"run {Bench.Median(g.Select(r => r.RunSeconds)),5:0.0} s  pause->resume {Bench.Median(g.Select(r => r.PauseToResumeMs)),5:0} ms  ({g.Count()} runs)");
        var tx = rows.Where(r => r.Mode == "transaction").ToList();
        Console.WriteLine($"target (transaction pooling, every run): gap < 1000 ms, 0 failed, 0 lost -> " +
                      (tx.Count == 0 ? "not measured" : tx.All(r => r.GapMs < 1000 && r.Failed == 0 && r.Lost == 0) ? "met" : "NOT met"));
    }
}

internal sealed record Row(string Mode, string Direction, int Number, double GapMs, int Failed, int Lost, double RunSeconds, double PauseToResumeMs);
