namespace PgHa.Workflows.Store.Entities;

/// <summary>A pending or decided approval gate (table Approvals); EventKey is the WaitFor key it resumes.</summary>
public class ApprovalRecord
{
    public long Id { get; set; }
    public string RunId { get; set; } = "";
    public string NodeId { get; set; } = "";
    public string PointerId { get; set; } = "";
    public string EventKey { get; set; } = "";
    public string Prompt { get; set; } = "";
    public string AllowedRole { get; set; } = "";
    public DateTime RequestedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    /// <summary>Null while open; otherwise one of <see cref="ApprovalDecision"/>.</summary>
    public string? Decision { get; set; }
    public string? DecidedBy { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? Comment { get; set; }
}

public static class ApprovalDecision
{
    public const string Approved = "Approved";
    public const string Rejected = "Rejected";
    public const string TimedOut = "TimedOut";
}
