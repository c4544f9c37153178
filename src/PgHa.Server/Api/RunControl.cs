using System.Security.Claims;
using System.Text.Json;
using PgHa.Server.Auth;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

public sealed record StartRunBody(string? Runbook, int? Version, string? Cluster, Dictionary<string, JsonElement>? Inputs, bool? DryRun);

public sealed record DecisionBody(string? Node, string? Decision, string? Comment);

/// <summary>Starts and cancels runs and decides approvals on behalf of a key's principal, with the checks and the audit trail the API owes.</summary>
public sealed class RunControl(RunbookRuntime runtime, Audit audit)
{
    public async Task<RunView> StartAsync(StartRunBody body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Runbook)) throw new RequestFieldException("runbook", "name the runbook to run (its id)");
        if (body.Version is < 1) throw new RequestFieldException("version", "a version is a whole number of at least 1; leave it out for the latest");
        if (body.Cluster is { Length: 0 }) throw new RequestFieldException("cluster", "leave cluster out or name an imported cluster");
        var run = await runtime.StartRunAsync(new StartRunRequest
        {
            RunbookId = body.Runbook, Version = body.Version, ClusterId = body.Cluster,
            Inputs = body.Inputs ?? new Dictionary<string, JsonElement>(), DryRun = body.DryRun ?? false,
            StartedBy = user.PrincipalName(),
            MayRunDrafts = user.HasClaim(ApiKeyAuthenticationHandler.RunDraftsClaim, "true"),
        }, ct);
        audit.Record(user.PrincipalName(), body.DryRun == true ? "StartDryRun" : "StartRun", run.Run.RunId,
            detail: $"{run.Run.RunbookId} v{run.Run.RunbookVersion} on {run.Run.ClusterId ?? "no cluster"}");
        return run;
    }

    public async Task<RunSummary> CancelAsync(string runId, ClaimsPrincipal user, CancellationToken ct)
    {
        var run = await runtime.CancelRunAsync(runId, user.PrincipalName(), ct);
        audit.Record(user.PrincipalName(), "CancelRun", runId);
        return run;
    }

    public async Task<ApprovalView> DecideAsync(string runId, DecisionBody body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Node)) throw new RequestFieldException("node", "name the node that waits for approval");
        var choice = body.Decision?.ToLowerInvariant() switch
        {
            "approve" => ApprovalChoice.Approve,
            "reject" => ApprovalChoice.Reject,
            _ => throw new RequestFieldException("decision", "decision must be 'approve' or 'reject'"),
        };
        var name = user.PrincipalName();
        // Every rule is checked by the engine against the stored approval, atomically with recording the decision.
        var decider = new Decider(name, user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList());
        var decided = await runtime.DecideAsync(runId, body.Node, choice, decider, body.Comment, ct);
        audit.Record(name, choice == ApprovalChoice.Approve ? "Approve" : "Reject", runId, body.Node, body.Comment);
        return decided;
    }
}
