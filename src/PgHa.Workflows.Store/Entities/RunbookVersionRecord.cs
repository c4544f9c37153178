namespace PgHa.Workflows.Store.Entities;

/// <summary>One immutable published version of a runbook definition (table RunbookVersions).</summary>
public class RunbookVersionRecord
{
    public string RunbookId { get; set; } = "";
    public int Version { get; set; }
    public string Name { get; set; } = "";
    public string Json { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}
