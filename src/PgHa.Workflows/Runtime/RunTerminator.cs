using Microsoft.Extensions.Logging;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Ends a run's WorkflowCore instance once it must stop (failure in one branch, cancellation). WorkflowCore
/// refuses to terminate while a pass holds the instance lock, so this retries until it succeeds.
/// </summary>
public sealed class RunTerminator(IServiceProvider services, ILogger<RunTerminator> logger)
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(10);

    public void Request(string instanceId) => _ = Task.Run(() => TerminateAsync(instanceId));

    private async Task TerminateAsync(string instanceId)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var store = (IPersistenceProvider)services.GetService(typeof(IPersistenceProvider))!;
                var instance = await store.GetWorkflowInstance(instanceId);
                if (instance is null || instance.Status is WorkflowStatus.Complete or WorkflowStatus.Terminated) return;
                var controller = (IWorkflowController)services.GetService(typeof(IWorkflowController))!;
                if (await controller.TerminateWorkflow(instanceId)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Terminating workflow instance {InstanceId} failed; retrying", instanceId);
            }
            await Task.Delay(RetryEvery);
        }
        logger.LogError("Gave up terminating workflow instance {InstanceId} after {Minutes} minutes", instanceId, GiveUpAfter.TotalMinutes);
    }
}
