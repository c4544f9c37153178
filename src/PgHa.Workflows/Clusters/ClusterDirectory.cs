using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using PgHa.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Workflows.Clusters;

/// <summary>
/// The cluster inventories known to the server. An inventory is validated in full before it replaces the stored
/// one, so a bad import never damages what is there. Runs snapshot the inventory when they start.
/// </summary>
public sealed class ClusterDirectory(IDbContextFactory<PgHaDbContext> contexts, Runtime.RuntimeOptions options, ILogger<ClusterDirectory> logger) : IClusterSnapshots
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <exception cref="ClusterValidationException">the inventory is invalid; nothing was stored</exception>
    public async Task<ClusterImportResult> ImportAsync(string json, string importedBy, CancellationToken cancellationToken = default)
    {
        var (inventory, errors) = ClusterValidator.Parse(json, options.KeyDirectories);
        if (inventory is null) throw new ClusterValidationException(errors);
        var created = await SaveAsync(inventory, importedBy, cancellationToken);
        logger.LogInformation("Cluster {ClusterId} {Action} by {By}", inventory.Id, created ? "imported" : "updated", importedBy);
        return new ClusterImportResult(inventory, created);
    }

    public async Task<ClusterInventory?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Clusters.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        return row is null ? null : ClusterInventory.FromJson(row.Json);
    }

    public async Task<string?> ExportAsync(string id, CancellationToken cancellationToken = default) =>
        (await GetAsync(id, cancellationToken))?.ToJson();

    public async Task<IReadOnlyList<ClusterSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Clusters.AsNoTracking().OrderBy(c => c.Id).ToListAsync(cancellationToken);
        return rows.Select(r =>
        {
            var inventory = ClusterInventory.FromJson(r.Json);
            return new ClusterSummary(r.Id, r.Name, inventory.Roles, inventory.Hosts.Count, r.UpdatedAt, r.UpdatedBy);
        }).ToList();
    }

    /// <summary>Records new roles after a failover (role → host name); the whole inventory is re-validated.</summary>
    public async Task<ClusterInventory> SetRolesAsync(string id, IReadOnlyDictionary<string, string> roles, string changedBy,
        CancellationToken cancellationToken = default)
    {
        var current = await GetAsync(id, cancellationToken)
                      ?? throw new NotFoundException("cluster", id, "import it first");
        var updated = current with { Roles = new Dictionary<string, string>(roles, StringComparer.Ordinal) };
        var errors = ClusterValidator.Validate(updated, checkFiles: false);
        if (errors.Count > 0) throw new ClusterValidationException(errors);
        await SaveAsync(updated, changedBy, cancellationToken);
        logger.LogWarning("Cluster {ClusterId} roles changed by {By}: {Roles}", id, changedBy, string.Join(", ", roles.Select(r => $"{r.Key}={r.Value}")));
        return updated;
    }

    public async Task<JsonElement?> TakeAsync(string clusterId, CancellationToken cancellationToken)
    {
        var inventory = await GetAsync(clusterId, cancellationToken);
        return inventory is null ? null : JsonSerializer.SerializeToElement(inventory, ClusterInventory.JsonOptions);
    }

    private async Task<bool> SaveAsync(ClusterInventory inventory, string by, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var row = await db.Clusters.FirstOrDefaultAsync(c => c.Id == inventory.Id, cancellationToken);
            var created = row is null;
            row ??= db.Clusters.Add(new ClusterRecord { Id = inventory.Id }).Entity;
            row.Name = inventory.Name ?? inventory.Id;
            row.Json = inventory.ToJson();
            row.UpdatedAt = DateTime.UtcNow;
            row.UpdatedBy = by;
            await db.SaveChangesAsync(cancellationToken);
            return created;
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

public sealed record ClusterImportResult(ClusterInventory Inventory, bool Created);

public sealed record ClusterSummary(string Id, string Name, IReadOnlyDictionary<string, string> Roles, int Hosts, DateTime UpdatedAt, string UpdatedBy);
