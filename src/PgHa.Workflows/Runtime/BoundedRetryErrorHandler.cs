using Microsoft.Extensions.Logging;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Replaces WorkflowCore's retry-forever handler. Node failures are outcomes, not exceptions, so this only sees
/// engine-level defects; it retries a few times, then ends the run as failed instead of looping on a broken host.
/// </summary>
public sealed class BoundedRetryErrorHandler(PgHa.Secrets.SecretRedactor redactor, ILogger<BoundedRetryErrorHandler> logger) : IWorkflowErrorHandler
{
    public const int MaxRetries = 3;
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    public WorkflowErrorHandling Type => WorkflowErrorHandling.Retry;

    public void Handle(WorkflowInstance workflow, WorkflowDefinition def, ExecutionPointer pointer, WorkflowStep step,
        Exception exception, Queue<ExecutionPointer> bubbleUpQueue)
    {
        if (pointer.RetryCount < MaxRetries)
        {
            pointer.RetryCount++;
            pointer.SleepUntil = DateTime.UtcNow + RetryInterval;
            step.PrimeForRetry(pointer);
            logger.LogWarning(exception, "Engine error at step {Step} of instance {InstanceId}; retry {Retry} of {Max}",
                step.ExternalId, workflow.Id, pointer.RetryCount, MaxRetries);
            return;
        }
        logger.LogError(exception, "Engine error at step {Step} of instance {InstanceId}; giving up", step.ExternalId, workflow.Id);
        if (workflow.Data is RunData run)
            run.Failure ??= $"node '{step.ExternalId}' failed in the engine {MaxRetries + 1} times: {redactor.Redact(exception.Message)}";
        workflow.Status = WorkflowStatus.Terminated;
        workflow.CompleteTime = DateTime.UtcNow;
    }
}
