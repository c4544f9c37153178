namespace PgHa.Workflows.Store.Entities;

/// <summary>
/// One immutable version of a runbook definition (table RunbookVersions): a draft until a second principal publishes
/// it; the newest published version is the one plain starts run.
/// </summary>
public class RunbookVersionRecord
{
    public string RunbookId { get; set; } = "";
    public int Version { get; set; }
    public string Name { get; set; } = "";
    public string Json { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime? PublishedAt { get; set; }
    public string? PublishedBy { get; set; }
}
