using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Interface;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class RunningWorkflowQueueTests
{
    /// <summary>Counts what the workflow queue hands out (the product's queue underneath).</summary>
    private sealed class CountingQueue(IQueueProvider inner) : IQueueProvider
    {
        public int HandedOut;
        public bool IsDequeueBlocking => inner.IsDequeueBlocking;
        public Task QueueWork(string id, QueueType queue) => inner.QueueWork(id, queue);

        public async Task<string> DequeueWork(QueueType queue, CancellationToken cancellationToken)
        {
            var id = await inner.DequeueWork(queue, cancellationToken);
            if (id is not null && queue == QueueType.Workflow) Interlocked.Increment(ref HandedOut);
            return id!;
        }

        public Task Start() => inner.Start();
        public Task Stop() => inner.Stop();
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task A_run_whose_step_takes_two_seconds_is_not_handed_to_the_engine_again_and_again_meanwhile()
    {
        CountingQueue? counting = null;
        await using var engine = await EngineHarness.StartAsync(services => services.AddSingleton<IQueueProvider>(sp =>
            counting = new CountingQueue(new RunningWorkflowQueue(new WorkflowCore.Services.SingleNodeQueueProvider(), sp.GetRequiredService<HeldWorkflowLocks>()))));
        await engine.SaveAsync(Json("long-step", [Rec("busy", hold: 2000), Rec("after")], ["busy -Done-> after"]));

        var run = await engine.WaitForEndAsync((await engine.StartAsync("long-step")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        // The poller finds the running run every 200 ms; WorkflowCore's own queue then cycled it through the consumer
        // without pause for the whole step (2.5 million times here). Held back, it cycles only in the moment between
        // the release of the run's lock and the end of its pass (a few hundred times).
        Assert.InRange(counting!.HandedOut, 1, 10_000);
    }
}
