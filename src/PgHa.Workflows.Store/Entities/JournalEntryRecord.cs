namespace PgHa.Workflows.Store.Entities;

/// <summary>One attempt of one node of a run (table Journal), written in the same transaction as the checkpoint.</summary>
public class JournalEntryRecord
{
    public long Id { get; set; }
    public string RunId { get; set; } = "";
    public string NodeId { get; set; } = "";
    public string PointerId { get; set; } = "";
    public int Attempt { get; set; }
    /// <summary>One of <see cref="JournalStatus"/>.</summary>
    public string Status { get; set; } = JournalStatus.Running;
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public string? Outcome { get; set; }
    /// <summary>Inputs in template form only (never resolved secrets).</summary>
    public string? InputsJson { get; set; }
    public string? OutputsJson { get; set; }
    public string? Log { get; set; }
    public string? Error { get; set; }
}

public static class JournalStatus
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Waiting = "Waiting";
    public const string Interrupted = "Interrupted";
    public const string Cancelled = "Cancelled";
    public const string Skipped = "Skipped";
    /// <summary>The node slept durably (a Delay); a later row records the wake-up.</summary>
    public const string Sleeping = "Sleeping";
    /// <summary>A Fork branch reached its Join before the other branches.</summary>
    public const string Arrived = "Arrived";
}
