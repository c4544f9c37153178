using System.Text.Json;

namespace PgHa.Workflows.Runtime;

public sealed record StartRunRequest
{
    public required string RunbookId { get; init; }
    public int? Version { get; init; }
    public string? ClusterId { get; init; }
    public IReadOnlyDictionary<string, JsonElement> Inputs { get; init; } = new Dictionary<string, JsonElement>();
    public bool DryRun { get; init; }
    public required string StartedBy { get; init; }

    /// <summary>The caller may start a version nobody has published (a key for trying drafts out).</summary>
    public bool MayRunDrafts { get; init; }
}

public sealed record RunFilter
{
    public string? Status { get; init; }
    public string? RunbookId { get; init; }
    public string? ClusterId { get; init; }
    public int Limit { get; init; } = 100;
}

public sealed record RunSummary(
    string RunId, string RunbookId, int RunbookVersion, string? ClusterId, string Status, bool DryRun, bool WaitingForApproval,
    string StartedBy, DateTime StartedAt, DateTime? EndedAt, string? Error);

public sealed record RunView
{
    public required RunSummary Run { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Inputs { get; init; }
    public required IReadOnlyList<NodeStateView> Nodes { get; init; }
    public required IReadOnlyList<JournalEntryView> Journal { get; init; }
    public required IReadOnlyList<ApprovalView> Approvals { get; init; }
}

/// <summary>Where each node of the run stands: NotStarted, Running, Waiting, Sleeping, Succeeded, Failed, Skipped, Cancelled, Interrupted, Arrived.</summary>
public sealed record NodeStateView(string NodeId, string Title, string Activity, string State, int Attempts, string? Outcome,
    DateTime? StartedAt, DateTime? EndedAt, string? Error);

public sealed record JournalEntryView(long Id, string NodeId, int Attempt, string Status, DateTime StartedAt, DateTime? EndedAt,
    string? Outcome, JsonElement? Outputs, string? Log, string? Error);

public sealed record ApprovalView(long Id, string RunId, string NodeId, string Prompt, string AllowedRole, DateTime RequestedAt,
    DateTime? ExpiresAt, string? Decision, string? DecidedBy, DateTime? DecidedAt, string? Comment, string StartedBy);

public enum ApprovalChoice { Approve, Reject }
