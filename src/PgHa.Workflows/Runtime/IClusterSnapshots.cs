using System.Text.Json;

namespace PgHa.Workflows.Runtime;

/// <summary>Supplies the cluster inventory a run starts against; the snapshot is stored with the run.</summary>
public interface IClusterSnapshots
{
    /// <summary>The cluster's inventory as JSON, or null when there is no such cluster.</summary>
    Task<JsonElement?> TakeAsync(string clusterId, CancellationToken cancellationToken);
}
