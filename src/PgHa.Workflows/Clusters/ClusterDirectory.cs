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

    /// <summary>
    /// Stores an inventory. Roles that a run handed over (a failover's SetClusterRoles) are kept unless
    /// <paramref name="replaceRoles"/> says otherwise: re-importing the file the cluster was set up from must never
    /// silently put the old master back in the master role.
    /// </summary>
    /// <exception cref="ClusterValidationException">the inventory is invalid; nothing was stored</exception>
    public async Task<ClusterImportResult> ImportAsync(string json, string importedBy, CancellationToken cancellationToken = default, bool replaceRoles = false)
    {
        var (inventory, errors) = ClusterValidator.Parse(json, options.KeyDirectories);
        if (inventory is null) throw new ClusterValidationException(errors);
        string? keptRoles = null;
        var created = await SaveAsync(inventory, importedBy, cancellationToken, stored =>
        {
            if (replaceRoles || stored is null || !stored.Value.By.StartsWith(RoleChangePrefix, StringComparison.Ordinal) || SameRoles(stored.Value.Inventory.Roles, inventory.Roles))
                return inventory;
            keptRoles = $"roles kept as {stored.Value.By} left them ({Describe(stored.Value.Inventory.Roles)}), not the file's ({Describe(inventory.Roles)}); " +
                        "hand roles over with a failover runbook, or import with replaceRoles";
            return inventory with { Roles = stored.Value.Inventory.Roles };
        });
        if (keptRoles is not null) logger.LogWarning("Cluster {ClusterId} imported by {By}: {Notice}", inventory.Id, importedBy, keptRoles);
        else logger.LogInformation("Cluster {ClusterId} {Action} by {By}", inventory.Id, created.Created ? "imported" : "updated", importedBy);
        return new ClusterImportResult(created.Inventory, created.Created, keptRoles);
    }

    /// <summary>How <see cref="ClusterRecord.UpdatedBy"/> starts when a run changed the roles.</summary>
    public const string RoleChangePrefix = "run ";

    private static bool SameRoles(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(r => b.TryGetValue(r.Key, out var v) && v == r.Value);

    private static string Describe(IReadOnlyDictionary<string, string> roles) =>
        string.Join(", ", roles.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}"));

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

    public async Task<JsonElement?> TakeAsync(string clusterId, CancellationToken cancellationToken)
    {
        var inventory = await GetAsync(clusterId, cancellationToken);
        return inventory is null ? null : JsonSerializer.SerializeToElement(inventory, ClusterInventory.JsonOptions);
    }

    private async Task<(ClusterInventory Inventory, bool Created)> SaveAsync(ClusterInventory inventory, string by, CancellationToken cancellationToken,
        Func<(ClusterInventory Inventory, string By)?, ClusterInventory> decide)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var row = await db.Clusters.AsNoTracking().FirstOrDefaultAsync(c => c.Id == inventory.Id, cancellationToken);
                var stored = decide(row is null ? null : (ClusterInventory.FromJson(row.Json), row.UpdatedBy));
                var now = DateTime.UtcNow;
                if (row is null)
                {
                    db.Clusters.Add(new ClusterRecord { Id = stored.Id, Name = stored.Name ?? stored.Id, Json = stored.ToJson(), UpdatedAt = now, UpdatedBy = by });
                    await db.SaveChangesAsync(cancellationToken);
                    return (stored, true);
                }
                // A run's role change is written by its checkpoint, not through this gate: update only the row that was
                // read, so a hand-over that landed meanwhile is read again instead of overwritten.
                var json = stored.ToJson();
                var name = stored.Name ?? stored.Id;
                var seenAt = row.UpdatedAt;
                var seenBy = row.UpdatedBy;
                var changed = await db.Clusters.Where(c => c.Id == stored.Id && c.UpdatedAt == seenAt && c.UpdatedBy == seenBy)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.Json, json).SetProperty(c => c.Name, name)
                        .SetProperty(c => c.UpdatedAt, now).SetProperty(c => c.UpdatedBy, by), cancellationToken);
                if (changed == 1) return (stored, false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

/// <param name="KeptRoles">Set when the stored roles (handed over by a run) were kept instead of the imported ones.</param>
public sealed record ClusterImportResult(ClusterInventory Inventory, bool Created, string? KeptRoles = null);

public sealed record ClusterSummary(string Id, string Name, IReadOnlyDictionary<string, string> Roles, int Hosts, DateTime UpdatedAt, string UpdatedBy);
