// Planned failover on the lab, measured the way an application sees it: one held connection per pgbouncer committing
// every 10 ms. For each pool mode, 5 failovers and 5 failbacks; per run and as medians: the longest gap between two
// acknowledged commits, failed client attempts, lost commits, the run's wall time and PAUSE→RESUME. Prints figures,
// asserts nothing (see tests/bench-failover.sh).
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgHa.Activities.Tests;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var runsPerDirection = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var modes = args.Length > 1 ? args[1].Split(',') : ["transaction", "session"];
var lab = new LabDeploymentFixture();
await lab.InitializeAsync();
var rows = new List<Row>();
try
{
    await lab.EnsureDeployedAsync();
    var clusters = lab.Services.GetRequiredService<ClusterDirectory>();
    var password = lab.Secret("appPassword");

    foreach (var mode in modes)
    {
        await lab.SetPoolModeAsync(mode);
        var current = (await clusters.GetAsync("lab"))!;
        await HeldConnectionWriter.CreateTableAsync(current.HostForRole("master")!.Address, password);
        await using var viaMaster = new HeldConnectionWriter($"bench-{mode}-via-master-host", current.HostForRole("master")!.Address, current.Ports.PgBouncer, password);
        await using var viaSlave = new HeldConnectionWriter($"bench-{mode}-via-slave-host", current.HostForRole("slave")!.Address, current.Ports.PgBouncer, password);
        HeldConnectionWriter[] writers = [viaMaster, viaSlave];
        foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));

        for (var i = 0; i < 2 * runsPerDirection; i++)
        {
            var direction = i % 2 == 0 ? "failover" : "failback";
            var from = writers[0].Now;
            var (run, took) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(10));
            Require((run, took), $"{mode} {direction} {i / 2 + 1}");
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));
            var master = (await clusters.GetAsync("lab"))!.HostForRole("master")!.Address;
            var pause = run.Nodes.Single(n => n.NodeId == "pause");
            var resume = run.Nodes.Single(n => n.NodeId == "resume");
            var row = new Row(mode, direction, i / 2 + 1,
                writers.Max(w => w.LongestGap(from).TotalMilliseconds),
                writers.Sum(w => w.FailedSince(from)),
                await LostAsync(writers, master, password),
                took.TotalSeconds,
                (resume.StartedAt!.Value - pause.StartedAt!.Value).TotalMilliseconds);
            rows.Add(row);
            Console.WriteLine($"{row.Mode,-11} {row.Direction,-8} #{row.Number}  gap {row.GapMs,6:0} ms  failed {row.Failed,3}  lost {row.Lost,3}  run {row.RunSeconds,5:0.0} s  pause->resume {row.PauseToResumeMs,5:0} ms");
        }
    }
}
finally
{
    await lab.DisposeAsync();
}

Console.WriteLine();
Console.WriteLine("median per pool mode and direction (gap = longest time between two acknowledged commits of a writer on one held connection):");
foreach (var g in rows.GroupBy(r => (r.Mode, r.Direction)))
    Console.WriteLine($"{g.Key.Mode,-11} {g.Key.Direction,-8} gap {Median(g.Select(r => r.GapMs)),6:0} ms  failed {Median(g.Select(r => (double)r.Failed)),4:0}  lost {g.Sum(r => r.Lost),3} (total)  " +
                      $"run {Median(g.Select(r => r.RunSeconds)),5:0.0} s  pause->resume {Median(g.Select(r => r.PauseToResumeMs)),5:0} ms  ({g.Count()} runs)");
var tx = rows.Where(r => r.Mode == "transaction").ToList();
Console.WriteLine($"target (transaction pooling, every run): gap < 1000 ms, 0 failed, 0 lost -> " +
                  (tx.Count == 0 ? "not measured" : tx.All(r => r.GapMs < 1000 && r.Failed == 0 && r.Lost == 0) ? "met" : "NOT met"));
return;

static void Require((RunView Run, TimeSpan Took) result, string what)
{
    if (result.Run.Run.Status != RunStatus.Completed)
        throw new InvalidOperationException($"{what}: {result.Run.Run.Status}\n{LabDeploymentFixture.JournalText(result.Run)}");
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

// Acknowledged commits that the current master does not have.
static async Task<int> LostAsync(HeldConnectionWriter[] writers, string master, string password)
{
    var lost = 0;
    await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder { Host = master, Port = 5432, Database = "appdb", Username = "app", Password = password, Pooling = false }.ConnectionString);
    await c.OpenAsync();
    foreach (var w in writers)
    {
        long[] acknowledged;
        lock (w.Acknowledged) acknowledged = w.Acknowledged.Select(a => a.N).ToArray();
        await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM unnest($1::bigint[]) a(n) WHERE NOT EXISTS (SELECT FROM {HeldConnectionWriter.Table} t WHERE t.writer = $2 AND t.n = a.n)", c)
        {
            Parameters = { new() { Value = acknowledged }, new() { Value = w.Name } },
        };
        lost += (int)(long)(await cmd.ExecuteScalarAsync())!;
    }
    return lost;
}

internal sealed record Row(string Mode, string Direction, int Number, double GapMs, int Failed, int Lost, double RunSeconds, double PauseToResumeMs);
