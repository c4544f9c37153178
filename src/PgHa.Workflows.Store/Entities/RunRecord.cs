namespace PgHa.Workflows.Store.Entities;

/// <summary>One execution of a runbook version (table Runs); maps 1:1 to a WorkflowCore instance.</summary>
public class RunRecord
{
    public string RunId { get; set; } = "";
    public string WorkflowInstanceId { get; set; } = "";
    public string RunbookId { get; set; } = "";
    public int RunbookVersion { get; set; }
    public string? ClusterId { get; set; }
    public string InputsJson { get; set; } = "{}";
    public bool DryRun { get; set; }
    public string StartedBy { get; set; } = "";
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    /// <summary>One of <see cref="RunStatus"/>.</summary>
    public string Status { get; set; } = RunStatus.Running;
    public string? Error { get; set; }
    public bool CancelRequested { get; set; }
    public string? ClusterSnapshotJson { get; set; }
}

/// <summary>Values of <see cref="RunRecord.Status"/>; stored as text so the table is readable without the code.</summary>
public static class RunStatus
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";

    public static bool IsFinished(string status) => status is Completed or Failed or Cancelled;
}
