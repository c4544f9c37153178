using System.ComponentModel;

namespace PgHa.Workflows.Activities.BuiltIn;

public sealed record WaitForApprovalInput
{
    [Description("What the approver is asked, e.g. \"Promote pgha-slave? Lag is 0 bytes.\"")]
    public required string Prompt { get; init; }

    [Description("Role allowed to decide: approver (default) or admin.")]
    [System.ComponentModel.DataAnnotations.AllowedValues("approver", "admin")]
    public string Role { get; init; } = "approver";

    [Description("Seconds until the request expires with outcome TimedOut; leave out to wait indefinitely.")]
    [System.ComponentModel.DataAnnotations.Range(1, 30 * 86_400)]
    public int? ExpiresAfterSeconds { get; init; }
}

[Activity("WaitForApproval", Category = "Flow",
    Outcomes = [ActivityOutcomes.Approved, ActivityOutcomes.Rejected, ActivityOutcomes.TimedOut],
    Description = "Pauses the run until a person approves or rejects; survives restarts; optional expiry.")]
[ActivityOutput("decidedBy", "Who decided")]
[ActivityOutput("comment", "The approver's comment")]
[ActivityOutput("decidedAt", "When (UTC)")]
public sealed class WaitForApproval : Activity<WaitForApprovalInput>
{
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "approver", "admin" };

    protected override Task<ActivityResult> ExecuteAsync(WaitForApprovalInput input, ActivityContext context)
    {
        if (!Roles.Contains(input.Role))
            return Task.FromResult(ActivityResult.Failed($"input 'role': '{input.Role}' cannot approve; use approver or admin"));
        if (input.ExpiresAfterSeconds is <= 0)
            return Task.FromResult(ActivityResult.Failed("input 'expiresAfterSeconds' must be positive"));
        var expires = input.ExpiresAfterSeconds is { } s ? DateTime.UtcNow.AddSeconds(s) : (DateTime?)null;
        context.Log($"waiting for approval by {input.Role}: {input.Prompt}");
        return Task.FromResult(ActivityResult.AwaitApproval(new ApprovalRequest(input.Prompt, input.Role, expires)));
    }
}
