using System.Diagnostics;
using WorkflowCore.Models;
using Xunit.Abstractions;

namespace PgHa.Workflows.Store.Tests;

/// <summary>
/// The store's share of the per-node engine overhead (design §10: &lt; 2 ms median including the checkpoint):
/// one load of the instance (as the consumer does) plus one PersistWorkflow that completes a pointer, adds its
/// successor and a journal row through a contributor, on a WAL SQLite file.
/// </summary>
public sealed class CheckpointCostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private sealed class OneJournalRow : ICheckpointContributor
    {
        public void Contribute(PgHaDbContext db, WorkflowInstance instance) => db.Journal.Add(new Entities.JournalEntryRecord
        {
            RunId = instance.Id, NodeId = "n", PointerId = "p", Attempt = 1, Status = Entities.JournalStatus.Succeeded,
            StartedAt = DateTime.UtcNow, EndedAt = DateTime.UtcNow, OutputsJson = """{"ok":true}""",
        });
    }

    [Fact]
    public async Task Median_load_plus_checkpoint_per_step_is_within_budget()
    {
        var provider = _store.CreateProvider(new OneJournalRow());
        const int steps = 40;
        var samples = new List<double>();
        var loads = new List<double>();

        var process = Process.GetCurrentProcess();
        var cpuStart = TimeSpan.Zero;
        for (var run = 0; run < 6; run++)
        {
            if (run == 1) { process.Refresh(); cpuStart = process.TotalProcessorTime; }
            var id = await provider.CreateNewWorkflow(Samples.NewInstance());
            for (var step = 0; step < steps; step++)
            {
                var sw = Stopwatch.StartNew();
                var wf = await provider.GetWorkflowInstance(id);
                var loaded = sw.Elapsed.TotalMilliseconds;
                var current = wf.ExecutionPointers.Last();
                current.Status = PointerStatus.Complete;
                current.Active = false;
                current.EndTime = DateTime.UtcNow;
                current.ExtensionAttributes["node"] = "n" + step;
                wf.ExecutionPointers.Add(new ExecutionPointer
                {
                    Id = Guid.NewGuid().ToString(), StepId = step + 1, Active = true, Status = PointerStatus.Pending,
                    PredecessorId = current.Id, Scope = new List<string>(),
                });
                wf.Data = new TestData("step", step);
                await provider.PersistWorkflow(wf, new List<EventSubscription>());
                sw.Stop();
                if (run > 0) { samples.Add(sw.Elapsed.TotalMilliseconds); loads.Add(loaded); } // run 0 warms up EF and the pool
            }
        }

        process.Refresh();
        var cpuPerStep = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / samples.Count;
        samples.Sort();
        loads.Sort();
        var median = samples[samples.Count / 2];
        var p90 = samples[(int)(samples.Count * 0.9)];
        output.WriteLine($"load+checkpoint per step over {samples.Count} steps (up to {steps} pointers): median {median:F3} ms, p90 {p90:F3} ms (load alone: median {loads[loads.Count / 2]:F3} ms); process CPU per step {cpuPerStep:F3} ms");
        // Wall-clock and even CPU figures swing several-fold when other builds share the 2 cores, so this only guards
        // against gross regressions (an fsync per commit, N+1 reads); the 2 ms target itself belongs to the engine
        // benchmark on a quiet machine. QueryShapeTests pins the statement count exactly.
        Assert.True(cpuPerStep < 50.0, $"CPU per step {cpuPerStep:F3} ms, wall median {median:F3} ms");
    }
}
