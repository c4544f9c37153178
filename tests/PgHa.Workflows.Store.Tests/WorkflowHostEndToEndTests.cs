using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store.Tests;

public sealed class E2EData
{
    public string Key { get; set; } = "";
    public DateTime EffectiveDate { get; set; }
    public List<string> Visited { get; set; } = new();
    public string? EventValue { get; set; }
}

/// <summary>A, then B inside an If container (its ControlPersistenceData goes through the store), a WaitFor, then C.</summary>
public sealed class E2EWorkflow : IWorkflow<E2EData>
{
    public string Id => "store-e2e";
    public int Version => 1;

    public void Build(IWorkflowBuilder<E2EData> builder) => builder
        .StartWith(ctx => Visit(ctx, "A"))
        .If(d => d.Key != "").Do(then => then.StartWith(ctx => Visit(ctx, "B")))
        .WaitFor("go", d => d.Key, d => d.EffectiveDate)
            .Output(d => d.EventValue, step => step.EventData)
        .Then(ctx => Visit(ctx, "C"));

    private static ExecutionResult Visit(IStepExecutionContext ctx, string name)
    {
        ((E2EData)ctx.Workflow.Data).Visited.Add(name);
        return ExecutionResult.Next();
    }
}

/// <summary>A real WorkflowCore host on the store, stopped and restarted on the same file mid-run.</summary>
public sealed class WorkflowHostEndToEndTests : IDisposable
{
    private readonly TempStore _store = new();

    public WorkflowHostEndToEndTests() => _store.Serializer.Register<E2EData>("e2e.data");

    public void Dispose() => _store.Dispose();

    private async Task<(ServiceProvider Services, IWorkflowHost Host)> StartHost()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPgHaStore(_store.Path);
        services.AddWorkflow(o =>
        {
            o.UsePgHaStore();
            o.UsePollInterval(TimeSpan.FromMilliseconds(250));
        });
        var sp = services.BuildServiceProvider();
        sp.GetRequiredService<AllowListSerializer>().Register<E2EData>("e2e.data");
        var host = sp.GetRequiredService<IWorkflowHost>();
        host.RegisterWorkflow<E2EWorkflow, E2EData>();
        await host.StartAsync(CancellationToken.None);
        return (sp, host);
    }

    private static async Task StopHost((ServiceProvider Services, IWorkflowHost Host) h)
    {
        await h.Host.StopAsync(CancellationToken.None);
        await h.Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Workflow_waits_durably_across_a_host_restart_and_completes_on_the_event()
    {
        var key = "run-" + Guid.NewGuid().ToString("N");
        string id;

        var first = await StartHost();
        try
        {
            id = await first.Host.StartWorkflow("store-e2e", 1, new E2EData { Key = key, EffectiveDate = DateTime.UtcNow.AddSeconds(-1) });
            var provider = first.Services.GetRequiredService<EfCorePersistenceProvider>();
            await Samples.Eventually(async () =>
            {
                var wf = await provider.GetWorkflowInstance(id);
                return wf.ExecutionPointers.Any(p => p.EventName == "go" && p.Status == PointerStatus.WaitingForEvent);
            }, TimeSpan.FromSeconds(20), "the workflow to wait for the event");
        }
        finally
        {
            await StopHost(first);
        }

        // Durable state between hosts: read through a bare provider on the file.
        var between = await _store.CreateProvider().GetWorkflowInstance(id);
        var data = Assert.IsType<E2EData>(between.Data);
        Assert.Equal(new[] { "A", "B" }, data.Visited);
        Assert.Equal(WorkflowStatus.Runnable, between.Status);
        Assert.Single(await _store.CreateProvider().GetSubscriptions("go", key, DateTime.UtcNow));

        var second = await StartHost();
        try
        {
            await second.Host.PublishEvent("go", key, "hello");
            var provider = second.Services.GetRequiredService<EfCorePersistenceProvider>();
            await Samples.Eventually(async () => (await provider.GetWorkflowInstance(id)).Status == WorkflowStatus.Complete,
                TimeSpan.FromSeconds(20), "the workflow to complete after the event");

            var done = await provider.GetWorkflowInstance(id);
            var final = Assert.IsType<E2EData>(done.Data);
            Assert.Equal(new[] { "A", "B", "C" }, final.Visited);
            Assert.Equal("hello", final.EventValue);
            Assert.NotNull(done.CompleteTime);
            Assert.All(done.ExecutionPointers, p => Assert.NotNull(p.EndTime));
            Assert.Empty(await provider.GetSubscriptions("go", key, DateTime.UtcNow));
        }
        finally
        {
            await StopHost(second);
        }
    }
}
