using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Workflows;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Interface;
using WorkflowCore.Models;
using ActivityResult = PgHa.Workflows.Activities.ActivityResult;
using ActivityContext = PgHa.Workflows.Activities.ActivityContext;

// Engine overhead per node: a 200-node linear runbook of no-op activities, on the durable SQLite store (each node
// includes its journal rows and the WorkflowCore checkpoint), and the same chain on WorkflowCore's in-memory
// provider for comparison. The first run of each warms up the JIT and is not counted.
const int Nodes = 200;
const int Runs = 4;

var sqlite = await MeasureSqliteAsync();
var memory = await MeasureInMemoryAsync();
Console.WriteLine($"nodes per run: {Nodes}, measured runs: {Runs - 1}, cores: {Environment.ProcessorCount}");
Report("SQLite store (PgHaWorkflows)", sqlite);
Report("WorkflowCore in-memory", memory);
Console.WriteLine($"target: median < 2.000 ms per node on SQLite -> {(Percentile(sqlite, 50) < 2.0 ? "met" : "NOT met")}");

static void Report(string name, List<double> gaps) =>
    Console.WriteLine($"{name,-30} median {Percentile(gaps, 50):0.000} ms  p95 {Percentile(gaps, 95):0.000} ms  max {gaps.Max():0.000} ms per node");

static double Percentile(List<double> values, int p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static async Task<List<double>> MeasureSqliteAsync()
{
    var directory = Directory.CreateTempSubdirectory("pgha-bench-").FullName;
    var services = new ServiceCollection();
    services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
    services.AddRunbookEngine(Path.Combine(directory, "bench.db"));
    services.AddActivity<NoOp>();
    await using var provider = services.BuildServiceProvider();
    var runtime = provider.GetRequiredService<RunbookRuntime>();
    await runtime.StartAsync(CancellationToken.None);

    var nodes = new JsonArray(Enumerable.Range(0, Nodes).Select(i => (JsonNode)new JsonObject { ["id"] = $"n{i}", ["activity"] = "NoOp" }).ToArray());
    var connections = new JsonArray(Enumerable.Range(0, Nodes - 1).Select(i => (JsonNode)new JsonObject
        { ["from"] = $"n{i}", ["outcome"] = "Done", ["to"] = $"n{i + 1}" }).ToArray());
    var runbook = new JsonObject { ["id"] = "bench", ["version"] = 1, ["name"] = "bench", ["start"] = "n0", ["nodes"] = nodes, ["connections"] = connections };
    await runtime.Runbooks.SaveAsync(runbook.ToJsonString(), "bench", asNextVersion: false, published: true);

    var gaps = new List<double>();
    for (var r = 0; r < Runs; r++)
    {
        NoOp.Stamps.Clear();
        var run = await runtime.StartRunAsync(new StartRunRequest { RunbookId = "bench", StartedBy = "bench" });
        while ((await runtime.GetRunAsync(run.Run.RunId))!.Run.Status == RunStatus.Running) await Task.Delay(100);
        if (r > 0) gaps.AddRange(Gaps(NoOp.Stamps.ToList()));
    }
    await runtime.StopAsync(CancellationToken.None);
    Directory.Delete(directory, recursive: true);
    return gaps;
}

static async Task<List<double>> MeasureInMemoryAsync()
{
    var services = new ServiceCollection();
    services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
    services.AddWorkflow();
    await using var provider = services.BuildServiceProvider();
    var host = provider.GetRequiredService<IWorkflowHost>();
    var definition = new WorkflowDefinition { Id = "bench-memory", Version = 1, DataType = typeof(object) };
    for (var i = 0; i < Nodes; i++)
    {
        var step = new WorkflowStep<StampStep> { Id = i, Name = $"n{i}", ExternalId = $"n{i}" };
        if (i < Nodes - 1) step.Outcomes.Add(new ValueOutcome { NextStep = i + 1 });
        definition.Steps.Add(step);
    }
    provider.GetRequiredService<IWorkflowRegistry>().RegisterWorkflow(definition);
    await host.StartAsync(CancellationToken.None);

    var gaps = new List<double>();
    for (var r = 0; r < Runs; r++)
    {
        NoOp.Stamps.Clear();
        var id = await host.StartWorkflow("bench-memory", 1, new object());
        var store = provider.GetRequiredService<IPersistenceProvider>();
        while ((await store.GetWorkflowInstance(id)).Status != WorkflowStatus.Complete) await Task.Delay(50);
        if (r > 0) gaps.AddRange(Gaps(NoOp.Stamps.ToList()));
    }
    await host.StopAsync(CancellationToken.None);
    return gaps;
}

static IEnumerable<double> Gaps(List<long> stamps) =>
    stamps.Zip(stamps.Skip(1), (a, b) => (b - a) * 1000.0 / Stopwatch.Frequency);

[Activity("NoOp", Description = "Does nothing; for measuring the engine itself.")]
public sealed class NoOp : Activity<NoInput>
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<long> Stamps = new();

    protected override Task<ActivityResult> ExecuteAsync(NoInput input, ActivityContext context)
    {
        Stamps.Enqueue(Stopwatch.GetTimestamp());
        return Task.FromResult(ActivityResult.Done());
    }
}

public sealed class StampStep : StepBody
{
    public override ExecutionResult Run(IStepExecutionContext context)
    {
        NoOp.Stamps.Enqueue(Stopwatch.GetTimestamp());
        return ExecutionResult.Next();
    }
}
