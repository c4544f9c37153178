using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Clusters;
using PgHa.Secrets;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Templates;

namespace PgHa.Workflows.Clusters;

/// <summary>
/// Template roots from the run's cluster snapshot — <c>roles.&lt;role&gt;.address</c>, <c>hosts.&lt;name&gt;.address</c>,
/// <c>cluster.…</c> — and <c>secrets.&lt;name&gt;</c>, resolved only at execution and never stored.
/// </summary>
public sealed class ClusterTemplateSources(SecretStore secrets) : IRunTemplateSources
{
    public IEnumerable<ITemplateSource> For(RunData run)
    {
        yield return new SecretTemplateSource(secrets);
        if (run.Cluster is not { } snapshot) yield break;
        var inventory = snapshot.Deserialize<ClusterInventory>(ClusterInventory.JsonOptions)!;

        var hosts = new JsonObject();
        foreach (var h in inventory.Hosts)
            hosts[h.Name] = new JsonObject
            {
                ["name"] = h.Name, ["address"] = h.Address, ["sshPort"] = h.SshPort,
                ["roles"] = new JsonArray(inventory.Roles.Where(r => r.Value == h.Name).Select(r => (JsonNode)r.Key).ToArray()),
            };
        var roles = new JsonObject();
        foreach (var (role, name) in inventory.Roles)
            roles[role] = hosts[name]?.DeepClone();

        yield return new JsonTemplateSource("hosts", hosts);
        yield return new JsonTemplateSource("roles", roles);
        yield return new JsonTemplateSource("cluster", (JsonNode.Parse(snapshot.GetRawText()) as JsonObject)!);
    }

    private sealed class SecretTemplateSource(SecretStore secrets) : ITemplateSource
    {
        public string Root => "secrets";

        public JsonNode? Resolve(TemplateReference reference, string field)
        {
            var name = string.Join('.', reference.Path);
            return secrets.TryGet(name, out var value)
                ? JsonValue.Create(value)
                : throw new TemplateException(field, reference,
                    $"secret '{name}' is not defined; set {SecretStore.EnvironmentName(name)} or add it to the secrets file");
        }
    }
}
