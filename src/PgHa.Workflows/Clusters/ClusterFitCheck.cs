using System.Text.Json;
using PgHa.Clusters;
using PgHa.Secrets;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Compilation;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Templates;
using PgHa.Workflows.Validation;

namespace PgHa.Workflows.Clusters;

/// <summary>
/// At run start, against the cluster the run targets: every role or host a node names, every secret purpose it maps,
/// and every <c>${roles.…}</c>, <c>${hosts.…}</c> and <c>${secrets.…}</c> template exist. A runbook that validates on its
/// own can still not fit a cluster; this says so before the first node runs, with node and field.
/// </summary>
public sealed class ClusterFitCheck(SecretStore secrets)
{
    public void Check(CompiledRunbook runbook, ClusterInventory cluster)
    {
        var errors = new List<RunbookError>();
        foreach (var node in runbook.Definition.Nodes)
        {
            foreach (var (field, reference) in runbook.Nodes[node.Id].Activity.ClusterReferences)
                if (node.Inputs.TryGetValue(field, out var value))
                    foreach (var literal in Literals(value, reference.InKeys))
                        if (Problem(cluster, reference.Kind, literal) is { } problem)
                            errors.Add(new RunbookError(node.Id, $"inputs.{field}", problem));
            foreach (var (field, value) in node.Inputs)
                foreach (var template in TemplateResolver.References(value))
                    if (TemplateProblem(cluster, template) is { } problem)
                        errors.Add(new RunbookError(node.Id, $"inputs.{field}", problem));
        }
        if (errors.Count > 0) throw new ClusterFitException(cluster.Id, errors);
    }

    private string? Problem(ClusterInventory cluster, ClusterReferenceKind kind, string literal) => kind switch
    {
        ClusterReferenceKind.Host when !cluster.Roles.ContainsKey(literal) && cluster.Hosts.All(h => h.Name != literal) =>
            $"'{literal}' is neither a role ({string.Join(", ", cluster.Roles.Keys)}) nor a host ({string.Join(", ", cluster.Hosts.Select(h => h.Name))}) of cluster '{cluster.Id}'",
        ClusterReferenceKind.SecretPurpose => SecretProblem(cluster, literal),
        _ => null,
    };

    private string? SecretProblem(ClusterInventory cluster, string purpose)
    {
        if (cluster.SecretName(purpose) is not { } name)
            return $"cluster '{cluster.Id}' names no secret for '{purpose}' (its inventory 'secrets' maps: {string.Join(", ", cluster.Secrets.Keys)})";
        return secrets.TryGet(name, out _) ? null
            : $"secret '{name}' (for '{purpose}' in cluster '{cluster.Id}') is not defined; set {SecretStore.EnvironmentName(name)} or add it to the secrets file";
    }

    private string? TemplateProblem(ClusterInventory cluster, TemplateReference template) => template.Root switch
    {
        "roles" when template.Path.Count > 0 && !cluster.Roles.ContainsKey(template.Path[0]) =>
            $"template {template}: cluster '{cluster.Id}' has no role '{template.Path[0]}' (roles: {string.Join(", ", cluster.Roles.Keys)})",
        "hosts" when template.Path.Count > 0 && cluster.Hosts.All(h => h.Name != template.Path[0]) =>
            $"template {template}: cluster '{cluster.Id}' has no host '{template.Path[0]}' (hosts: {string.Join(", ", cluster.Hosts.Select(h => h.Name))})",
        "secrets" when template.Path.Count > 0 && !secrets.TryGet(string.Join('.', template.Path), out _) =>
            $"template {template}: secret '{string.Join('.', template.Path)}' is not defined; set {SecretStore.EnvironmentName(string.Join('.', template.Path))} or add it to the secrets file",
        _ => null,
    };

    // Literal strings only: a template's value exists only when the node runs.
    private static IEnumerable<string> Literals(JsonElement value, bool inKeys) => value.ValueKind switch
    {
        JsonValueKind.String => Plain(value.GetString()!),
        JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).SelectMany(v => Plain(v.GetString()!)),
        JsonValueKind.Object => inKeys
            ? value.EnumerateObject().SelectMany(p => Plain(p.Name))
            : value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).SelectMany(p => Plain(p.Value.GetString()!)),
        _ => [],
    };

    private static IEnumerable<string> Plain(string text) => text.Contains("${", StringComparison.Ordinal) ? [] : [text];
}
