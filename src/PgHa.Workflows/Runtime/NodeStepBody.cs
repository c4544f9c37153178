using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PgHa.Secrets;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Compilation;
using PgHa.Workflows.Store.Entities;
using PgHa.Workflows.Templates;
using Serilog.Context;
using WorkflowCore.Interface;
using WorkflowCore.Models;
using ActivityResult = PgHa.Workflows.Activities.ActivityResult;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Executes one runbook node inside a WorkflowCore pass: resolves inputs, runs the activity with its timeout,
/// retries with delay, pauses for approvals and sleeps durably, and journals every attempt. It never throws
/// into the engine; everything that goes wrong becomes a journaled outcome.
/// </summary>
public sealed class NodeStepBody(
    CompiledNode node,
    ActivityCatalog catalog,
    RunJournal journal,
    CheckpointBuffer checkpoint,
    RunEvents events,
    RunCancellations cancellations,
    RunTerminator terminator,
    SecretRedactor redactor,
    IEnumerable<IRunTemplateSources> templateSources,
    IServiceProvider services,
    ILogger<NodeStepBody> logger) : IStepBody
{
    public const string ApprovalEvent = "pgha.approval";

    // Outcome values that match no edge: the pointer ends without successors.
    private const string Absorbed = "pgha:absorbed";
    private const string Halted = "pgha:halted";

    private string NodeId => node.Node.Id;

    public async Task<ExecutionResult> RunAsync(IStepExecutionContext context)
    {
        var run = (RunData)context.Workflow.Data;
        using var _ = LogContext.PushProperty("RunId", run.RunId);
        using var __ = LogContext.PushProperty("NodeId", NodeId);
        var state = context.PersistenceData as StepState ?? new StepState();
        var pointer = context.ExecutionPointer;
        var instanceId = context.Workflow.Id;

        if (cancellations.IsCancelled(run.RunId) && !run.Cancelled)
        {
            run.Cancelled = true;
            checkpoint.AfterCommit(context.Workflow, () => terminator.Request(instanceId));
        }
        if (run.Halted)
        {
            journal.RecordPass(context.Workflow, run.RunId, NodeId, pointer.Id, state.Attempt,
                run.Cancelled ? JournalStatus.Cancelled : JournalStatus.Skipped,
                run.Cancelled ? "not run: the run was cancelled" : $"not run: {run.Failure}");
            return ExecutionResult.Outcome(Halted);
        }

        if (pointer.EventPublished && pointer.EventName == ApprovalEvent)
            return ResumeAfterApproval(context, run, state);
        if (state.WakeAtUtc is { } wakeAt)
            return WakeFromSleep(context, run, state, wakeAt);
        if (node.JoinOf is not null)
            return Arrive(context, run, state);

        return await RunAttemptAsync(context, run, state);
    }

    private async Task<ExecutionResult> RunAttemptAsync(IStepExecutionContext context, RunData run, StepState state)
    {
        var instanceId = context.Workflow.Id;
        var attempt = state.Attempt;
        var inputsJson = JsonSerializer.Serialize(node.Node.Inputs);
        var attemptStart = await journal.StartAttemptAsync(run.RunId, NodeId, context.ExecutionPointer.Id, attempt, inputsJson,
            CancellationToken.None);
        var log = new AttemptLog(run.RunId, NodeId, attempt, events, redactor);
        logger.LogInformation("Node {NodeId} attempt {Attempt} of {MaxAttempts} started ({Activity})",
            NodeId, attempt, node.MaxAttempts, node.Activity.Name);

        using var timeout = new CancellationTokenSource();
        if (node.Timeout is { } limit) timeout.CancelAfter(limit);
        var runCancelled = cancellations.TokenFor(run.RunId);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timeout.Token, runCancelled);

        ActivityResult result;
        try
        {
            var input = ResolveInput(run);
            var activity = catalog.Create(node.Activity, services);
            var activityContext = new ActivityContext(log.Write)
            {
                RunId = run.RunId, NodeId = NodeId, Node = node.Node, Attempt = attempt, DryRun = run.DryRun,
                ClusterId = run.ClusterId, Cluster = run.Cluster?.Deserialize<PgHa.Clusters.ClusterInventory>(PgHa.Clusters.ClusterInventory.JsonOptions), RunInputs = run.Inputs, Services = services, CancellationToken = linked.Token,
            };
            // WaitAsync: an activity that ignores its token still cannot hold the run past its timeout.
            result = await activity.ExecuteAsync(input, activityContext).WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (runCancelled.IsCancellationRequested)
        {
            run.Cancelled = true;
            EndAttempt(context.Workflow, attemptStart, JournalStatus.Cancelled, null, null, log, "the run was cancelled during this attempt");
            checkpoint.AfterCommit(context.Workflow, () => terminator.Request(instanceId));
            return ExecutionResult.Outcome(Halted);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            result = ActivityResult.Failed($"timed out after {node.Timeout!.Value.TotalSeconds:0} s (timeoutSeconds)");
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // Server shutting down: keep the pointer active so the node runs again after the restart.
            EndAttempt(context.Workflow, attemptStart, JournalStatus.Interrupted, null, null, log, "the server stopped during this attempt; the node runs again after restart");
            return ExecutionResult.Persist(state);
        }
        catch (Exception e) when (e is TemplateException or JsonException or ActivityInputException)
        {
            result = ActivityResult.Failed(e.Message);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Node {NodeId} attempt {Attempt} threw", NodeId, attempt);
            result = ActivityResult.Failed($"{e.GetType().Name}: {e.Message}");
        }

        if (result.Approval is { } approval)
            return AwaitApproval(context, run, state, attemptStart, log, approval);
        if (result.Sleep is { } sleep)
        {
            EndAttempt(context.Workflow, attemptStart, JournalStatus.Sleeping, null, null, log, null);
            state.WakeAtUtc = DateTime.UtcNow + sleep;
            return ExecutionResult.Sleep(sleep, state);
        }
        if (result.IsFailure && attempt < node.MaxAttempts)
        {
            var retryIn = node.RetryDelay;
            EndAttempt(context.Workflow, attemptStart, JournalStatus.Failed, result.Outcome, result.Outputs, log,
                $"{result.Error} — retrying in {retryIn.TotalSeconds:0} s (attempt {attempt + 1} of {node.MaxAttempts})");
            return ExecutionResult.Sleep(retryIn, new StepState { Attempt = attempt + 1 });
        }

        if (!result.IsFailure && result.NewClusterRoles is { } roles)
            ClusterRoleChange.Apply(checkpoint, context.Workflow, run, roles, log.Write);
        EndAttempt(context.Workflow, attemptStart, result.IsFailure ? JournalStatus.Failed : JournalStatus.Succeeded,
            result.Outcome, result.Outputs, log, result.Error);
        return Complete(context, run, result.Outcome, result.Outputs, result.Error);
    }

    private object ResolveInput(RunData run)
    {
        // The scope copies every node's outputs (O(nodes run so far)); a node without inputs never needs it.
        TemplateResolver? resolver = null;
        var resolved = new JsonObject();
        foreach (var (name, value) in node.Node.Inputs)
            resolved[name] = (resolver ??= RunTemplateScope.For(run, templateSources)).Resolve(value, name);
        try
        {
            return resolved.Deserialize(node.Activity.InputType, ActivityJson.Options)
                   ?? throw new ActivityInputException("inputs resolved to null");
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : "inputs";
            throw new ActivityInputException($"input '{field}' has the wrong shape after templates were resolved: {e.Message.Split(" Path:")[0]}");
        }
    }

    private ExecutionResult AwaitApproval(IStepExecutionContext context, RunData run, StepState state, AttemptStart attemptStart,
        AttemptLog log, ApprovalRequest request)
    {
        var pointerId = context.ExecutionPointer.Id;
        if (run.DryRun)
        {
            log.Write($"[plan] would wait for approval by role '{request.AllowedRole}': {request.Prompt}");
            EndAttempt(context.Workflow, attemptStart, JournalStatus.Succeeded, ActivityOutcomes.Approved, null, log, null);
            return Complete(context, run, ActivityOutcomes.Approved, new Dictionary<string, JsonElement>(), null);
        }

        var key = $"{run.RunId}:{pointerId}";
        var requestedAt = DateTime.UtcNow;
        checkpoint.Add(context.Workflow, db =>
        {
            if (db.Set<ApprovalRecord>().Any(a => a.EventKey == key)) return;
            db.Add(new ApprovalRecord
            {
                RunId = run.RunId, NodeId = NodeId, PointerId = pointerId, EventKey = key, Prompt = redactor.Redact(request.Prompt),
                AllowedRole = request.AllowedRole, RequestedAt = requestedAt, ExpiresAt = request.ExpiresAtUtc,
            });
        });
        EndAttempt(context.Workflow, attemptStart, JournalStatus.Waiting, null, null, log, null);
        checkpoint.AfterCommit(context.Workflow, () =>
            events.Publish(run.RunId, RunEventKinds.ApprovalRequested, NodeId, state.Attempt, JournalStatus.Waiting, message: request.Prompt));

        state.ApprovalKey = key;
        // An explicit effective date: only a decision published after this request can resume it.
        return new ExecutionResult
        {
            Proceed = false, EventName = ApprovalEvent, EventKey = key, EventAsOf = requestedAt, PersistenceData = state,
        };
    }

    private ExecutionResult ResumeAfterApproval(IStepExecutionContext context, RunData run, StepState state)
    {
        var decision = context.ExecutionPointer.EventData as ApprovalDecisionEvent
                       ?? new ApprovalDecisionEvent { Decision = ActivityOutcomes.Rejected, Comment = "unreadable decision" };
        var key = state.ApprovalKey ?? context.ExecutionPointer.EventKey;
        checkpoint.Add(context.Workflow, db =>
        {
            var approval = db.Set<ApprovalRecord>().FirstOrDefault(a => a.EventKey == key);
            if (approval is null || approval.Decision is not null) return;
            approval.Decision = decision.Decision;
            approval.DecidedBy = decision.DecidedBy;
            approval.DecidedAt = decision.DecidedAtUtc;
            approval.Comment = decision.Comment;
        });
        var outputs = ActivityResult.Done(new { decidedBy = decision.DecidedBy, comment = decision.Comment, decidedAt = decision.DecidedAtUtc }).Outputs;
        var message = $"{decision.Decision} by {decision.DecidedBy ?? "the system"}" + (decision.Comment is { Length: > 0 } c ? $": {c}" : "");
        journal.RecordPass(context.Workflow, run.RunId, NodeId, context.ExecutionPointer.Id, state.Attempt,
            JournalStatus.Succeeded, message);
        return Complete(context, run, decision.Decision, outputs, null);
    }

    private ExecutionResult WakeFromSleep(IStepExecutionContext context, RunData run, StepState state, DateTime wakeAt)
    {
        var remaining = wakeAt - DateTime.UtcNow;
        if (remaining > TimeSpan.Zero) return ExecutionResult.Sleep(remaining, state);
        journal.RecordPass(context.Workflow, run.RunId, NodeId, context.ExecutionPointer.Id, state.Attempt,
            JournalStatus.Succeeded, "woke up");
        return Complete(context, run, ActivityOutcomes.Done, new Dictionary<string, JsonElement>(), null);
    }

    private ExecutionResult Arrive(IStepExecutionContext context, RunData run, StepState state)
    {
        var region = node.JoinOf!;
        var predecessorStep = context.Workflow.ExecutionPointers.FindById(context.ExecutionPointer.PredecessorId)?.StepId;
        var from = predecessorStep is { } step ? node.Runbook.NodeIdByStep[step] : region.Fork;
        var branch = region.BranchOf(from);
        var arrived = run.JoinArrivals.TryGetValue(NodeId, out var list) ? list : run.JoinArrivals[NodeId] = [];
        if (!arrived.Contains(branch)) arrived.Add(branch);

        if (arrived.Count < region.Branches.Count)
        {
            journal.RecordPass(context.Workflow, run.RunId, NodeId, context.ExecutionPointer.Id, state.Attempt, JournalStatus.Arrived,
                $"branch '{region.BranchHeads[branch]}' arrived ({arrived.Count} of {region.Branches.Count})");
            return ExecutionResult.Outcome(Absorbed);
        }
        run.JoinArrivals.Remove(NodeId);
        journal.RecordPass(context.Workflow, run.RunId, NodeId, context.ExecutionPointer.Id, state.Attempt, JournalStatus.Succeeded,
            $"all {region.Branches.Count} branches of '{region.Fork}' arrived");
        return Complete(context, run, ActivityOutcomes.Done, new Dictionary<string, JsonElement>(), null);
    }

    private void EndAttempt(WorkflowInstance instance, AttemptStart attemptStart, string status, string? outcome,
        IReadOnlyDictionary<string, JsonElement>? outputs, AttemptLog log, string? error) =>
        journal.EndAttempt(instance, attemptStart, new AttemptEnd(status, outcome,
            outputs is { Count: > 0 } ? Redacted(outputs) : null, log.Text, error is null ? null : redactor.Redact(error)));

    // Outputs are stored with the run and shown to operators, so no secret value may survive in them;
    // a later node that needs a secret takes it from ${secrets.name}.
    private IReadOnlyDictionary<string, JsonElement> Redacted(IReadOnlyDictionary<string, JsonElement> outputs) =>
        outputs.ToDictionary(o => o.Key, o => JsonSerializer.SerializeToElement(RedactStrings(JsonNode.Parse(o.Value.GetRawText()))),
            StringComparer.Ordinal);

    private JsonNode? RedactStrings(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => JsonValue.Create(redactor.Redact(text)),
        JsonArray a => new JsonArray(a.Select(RedactStrings).ToArray()),
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, RedactStrings(p.Value)))),
        _ => node?.DeepClone(),
    };

    private ExecutionResult Complete(IStepExecutionContext context, RunData run, string outcome,
        IReadOnlyDictionary<string, JsonElement> outputs, string? error)
    {
        run.NodeOutputs[NodeId] = new Dictionary<string, JsonElement>(Redacted(outputs), StringComparer.Ordinal);
        logger.LogInformation("Node {NodeId} ended with outcome {Outcome}", NodeId, outcome);
        if (!node.ConnectedOutcomes.Contains(outcome) && outcome != ActivityOutcomes.Done)
        {
            // An outcome without a connection ends the run; anything but Done ends it as failed.
            run.Failure = $"node '{NodeId}' ended with outcome '{outcome}'" + (error is null ? "" : $": {redactor.Redact(error)}");
            // Other branches may still wait (e.g. for an approval); end the instance once this pass is committed.
            var instanceId = context.Workflow.Id;
            checkpoint.AfterCommit(context.Workflow, () => terminator.Request(instanceId));
        }
        return ExecutionResult.Outcome(outcome);
    }
}

public sealed class ActivityInputException(string message) : Exception(message);
