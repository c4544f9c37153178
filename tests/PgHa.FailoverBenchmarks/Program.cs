// Failover benchmarks on the lab, measured the way an application sees it: one held connection per pgbouncer
// committing every 10 ms. `planned N MODES`: planned failovers and failbacks per pool mode; `unplanned N`: the master's
// postgres killed, the master-broken runbook approved at once, time to the first acknowledged write. Prints figures,
// asserts nothing (see tests/bench-failover.sh).
using System.Globalization;
using Npgsql;
using PgHa.Activities.Tests;
using PgHa.FailoverBenchmarks;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var kind = args.Length > 0 ? args[0] : "planned";
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var lab = new LabDeploymentFixture();
await lab.InitializeAsync();
try
{
    await lab.EnsureDeployedAsync();
    if (kind == "unplanned") await UnplannedBenchmark.RunAsync(lab, runs);
    else await PlannedBenchmark.RunAsync(lab, runs, args.Length > 2 ? args[2].Split(',') : ["transaction", "session"]);
}
finally
{
    await lab.DisposeAsync();
}

namespace PgHa.FailoverBenchmarks
{
    internal static class Bench
    {
        /// <summary>Part of every writer's name: a lab left up (PGHA_KEEP_LAB=1) keeps the rows of earlier benchmarks.</summary>
        public static readonly string Started = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

        public static void Require((RunView Run, TimeSpan Took) result, string what)
        {
            if (result.Run.Run.Status != RunStatus.Completed)
                throw new InvalidOperationException($"{what}: {result.Run.Run.Status}\n{LabDeploymentFixture.JournalText(result.Run)}");
        }

        public static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }

        // Acknowledged commits that the current master does not have.
        public static async Task<int> LostAsync(HeldConnectionWriter[] writers, string master, string password)
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
    }
}
