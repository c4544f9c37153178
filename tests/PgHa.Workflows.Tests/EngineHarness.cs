using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Workflows.Tests;

/// <summary>A real engine on a temporary SQLite file, with the test activities registered.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly string _directory;
    public ServiceProvider Services { get; }
    public RunbookRuntime Runtime { get; }
    public string DatabaseFile => Path.Combine(_directory, "pgha.db");
    public ExecutionRecorder Recorder => Services.GetRequiredService<ExecutionRecorder>();

    private EngineHarness(string directory, ServiceProvider services)
    {
        _directory = directory;
        Services = services;
        Runtime = services.GetRequiredService<RunbookRuntime>();
    }

    /// <param name="store">the store; a new SQLite file in a temporary folder when not given</param>
    public static async Task<EngineHarness> StartAsync(Action<IServiceCollection>? configure = null, StoreLocation? store = null)
    {
        var directory = Directory.CreateTempSubdirectory("pgha-engine-").FullName;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddRunbookEngine(store ?? new StoreLocation.Sqlite(Path.Combine(directory, "pgha.db")), o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.ApprovalSweepInterval = TimeSpan.FromMilliseconds(200);
        });
        services.AddSingleton<ExecutionRecorder>();
        TestActivities.Register(services);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        var harness = new EngineHarness(directory, provider);
        await harness.Runtime.StartAsync(CancellationToken.None);
        return harness;
    }

    public async Task<RunbookDefinition> SaveAsync(string json) =>
        (await Runtime.Runbooks.SaveAsync(json, "test", asNextVersion: false, published: true)).Definition;

    public Task<RunView> StartAsync(string runbookId, object? inputs = null, bool dryRun = false) =>
        Runtime.StartRunAsync(new StartRunRequest
        {
            RunbookId = runbookId, StartedBy = "tester", DryRun = dryRun,
            Inputs = inputs is null
                ? new Dictionary<string, JsonElement>()
                : JsonSerializer.SerializeToElement(inputs).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
        });

    public async Task<RunView> WaitForEndAsync(string runId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var run = await Runtime.GetRunAsync(runId);
            if (run is not null && RunStatus.IsFinished(run.Run.Status)) return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run {runId} did not end in time; last state: {JsonSerializer.Serialize(run)}");
            await Task.Delay(50);
        }
    }

    public async Task<RunView> WaitUntilAsync(string runId, Func<RunView, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var run = await Runtime.GetRunAsync(runId);
            if (run is not null && condition(run)) return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run {runId} did not reach the expected state; last state: {JsonSerializer.Serialize(run)}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
