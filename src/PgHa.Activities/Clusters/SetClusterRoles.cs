using System.ComponentModel;
using PgHa.Clusters;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;

namespace PgHa.Activities.Clusters;

public sealed record SetClusterRolesInput
{
    [Description("Role → the role or host name that takes it, read against the roles before this node, e.g. {\"master\": \"slave\", \"slave\": \"master\"} swaps them. Roles not named keep their host.")]
    public required IReadOnlyDictionary<string, string> Roles { get; init; }
}

[Activity("SetClusterRoles", Description = "Hands roles to other hosts in the stored inventory (atomically with this node's end) and rewrites pgha.env on every host, so the host scripts and every later node of the run see the new roles.",
    Category = "Cluster", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("roles", "Role → host name after this node.")]
[ActivityOutput("previousRoles", "Role → host name before it.")]
public sealed class SetClusterRoles : Activity<SetClusterRolesInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(SetClusterRolesInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        ClusterInventory after;
        try
        {
            cluster = ClusterHosts.For(context);
            if (input.Roles.Count == 0) throw new ActivityInputException("roles: name at least one role to hand over");
            var roles = new Dictionary<string, string>(cluster.Inventory.Roles, StringComparer.Ordinal);
            foreach (var (role, taker) in input.Roles)
            {
                if (!cluster.Inventory.Roles.ContainsKey(role)) throw new ActivityInputException($"roles.{role}: cluster '{cluster.Inventory.Id}' has no role '{role}'");
                roles[role] = cluster.Resolve(taker).Name;
            }
            after = cluster.Inventory with { Roles = roles };
            if (ClusterValidator.Validate(after, checkFiles: false) is { Count: > 0 } errors)
                throw new ActivityInputException("roles: " + string.Join("; ", errors));
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var outputs = new { roles = after.Roles, previousRoles = cluster.Inventory.Roles };
        var changes = string.Join(", ", after.Roles.Where(r => cluster.Inventory.Roles[r.Key] != r.Value).Select(r => $"{r.Key}: {cluster.Inventory.Roles[r.Key]} -> {r.Value}"));
        var stored = $"stored inventory of '{after.Id}': {(changes.Length == 0 ? "roles unchanged" : changes)}";
        var rewrite = $"rewrite {PgHaEnvironment.FileName} with the new roles";
        if (context.DryRun)
        {
            context.Plan(stored);
            foreach (var h in after.Hosts) context.Plan($"{h.Name}: {rewrite}");
            // The engine hands the roles to the rest of this dry run only (see ClusterRoleChange).
            return ActivityResult.Done(outputs) with { NewClusterRoles = after.Roles };
        }

        // pgha.env first: if the server dies here the roles are not stored yet, and the node runs again with the same result.
        var renamed = new ClusterHosts(after, ClusterHosts.Service<Remote.SshConnectionPool>(context), ClusterHosts.Service<Secrets.SecretStore>(context));
        var deployment = new ScriptDeployment(renamed, ClusterHosts.Service<ScriptOptions>(context));
        // A fenced host may be down (that is why it was fenced): it is skipped when it does not answer, and its pgha.env
        // is rewritten by the next script run there, which checks it against the stored roles first.
        var fenced = (await ClusterHosts.Service<HostFences>(context).ForClusterAsync(after.Id, context.CancellationToken)).Select(f => f.Host).ToHashSet();
        var hosts = new List<HostRef>();
        foreach (var h in after.Hosts.Select(h => new HostRef(h.Name, h)))
        {
            if (fenced.Contains(h.Name) && !await Fencing.HostFencing.AnswersAsync(h, TimeSpan.FromSeconds(2), context.CancellationToken))
                context.Log($"{h.Name} is fenced and does not answer: it gets the new pgha.env with its next script run");
            else hosts.Add(h);
        }
        var uploads = await HostFanOut.RunAsync(hosts, context, async (host, log) =>
        {
            await deployment.SyncAsync(host, HostAccount.Deploy, [], log, context.CancellationToken);
            Scripts.HostScript.RecordChanges(context, host)(rewrite);
            return true;
        });
        if (uploads.Any(u => !u.Succeeded))
            return ActivityResult.Failed("pgha.env could not be rewritten everywhere, roles not changed: " + HostFanOut.Failures(uploads), outputs);
        context.Changed(stored);
        return ActivityResult.Done(outputs) with { NewClusterRoles = after.Roles };
    }
}
