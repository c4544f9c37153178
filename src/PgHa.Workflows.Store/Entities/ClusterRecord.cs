namespace PgHa.Workflows.Store.Entities;

/// <summary>A cluster inventory (table Clusters), stored as its JSON; roles change after a failover.</summary>
public class ClusterRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Json { get; set; } = "{}";
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}
