using System.Text.Json;
using PgHa.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Models;

namespace PgHa.Workflows.Clusters;

/// <summary>
/// A node's hand-over of roles (SetClusterRoles): the run's snapshot changes now, in the data this pass persists, and
/// the stored inventory changes in the same checkpoint transaction. A crash before that commit leaves both as they
/// were (the node runs again); after it, both show the new roles. In a dry run only the run's snapshot changes, so the
/// nodes it plans after the hand-over resolve roles as the real run's would; the stored inventory is left alone.
/// </summary>
internal static class ClusterRoleChange
{
    public static void Apply(CheckpointBuffer checkpoint, WorkflowInstance instance, RunData run, IReadOnlyDictionary<string, string> roles, Action<string> log)
    {
        if (run.Cluster is not { } snapshot || run.ClusterId is not { } clusterId)
            throw new InvalidOperationException("roles can change only in a run that has a cluster");
        var before = snapshot.Deserialize<ClusterInventory>(ClusterInventory.JsonOptions)!;
        var after = before with { Roles = new Dictionary<string, string>(roles, StringComparer.Ordinal) };
        var errors = ClusterValidator.Validate(after, checkFiles: false);
        if (errors.Count > 0) throw new ClusterValidationException(errors);
        run.Cluster = JsonSerializer.SerializeToElement(after, ClusterInventory.JsonOptions);
        if (run.DryRun)
        {
            log("roles in this dry run from here on: " + Describe(after.Roles) + " (not stored)");
            return;
        }
        var changedBy = $"{ClusterDirectory.RoleChangePrefix}{run.RunId}";
        checkpoint.Add(instance, db =>
        {
            var row = db.Set<ClusterRecord>().Find(clusterId)
                      ?? throw new InvalidOperationException($"cluster '{clusterId}' is no longer stored; its roles cannot be recorded");
            var stored = ClusterInventory.FromJson(row.Json);
            row.Json = (stored with { Roles = after.Roles }).ToJson();
            row.UpdatedAt = DateTime.UtcNow;
            row.UpdatedBy = changedBy;
        });
        log("roles now: " + Describe(after.Roles) + " (stored with this node's end)");
    }

    private static string Describe(IReadOnlyDictionary<string, string> roles) =>
        string.Join(", ", roles.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}"));
}
