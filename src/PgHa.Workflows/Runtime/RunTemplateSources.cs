using System.Text.Json.Nodes;
using PgHa.Workflows.Templates;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Adds template roots for a run beyond its own inputs and node outputs — the cluster layer supplies
/// <c>roles</c>, <c>hosts</c>, <c>cluster</c> and <c>secrets</c> from the snapshot taken when the run started.
/// </summary>
public interface IRunTemplateSources
{
    IEnumerable<ITemplateSource> For(RunData run);
}

internal static class RunTemplateScope
{
    public static TemplateResolver For(RunData run, IEnumerable<IRunTemplateSources> extra)
    {
        var outputs = new JsonObject();
        foreach (var (node, values) in run.NodeOutputs)
            outputs[node] = new JsonObject { ["outputs"] = JsonTemplateSource.ToObject(values) };
        var sources = new List<ITemplateSource>
        {
            new JsonTemplateSource("inputs", JsonTemplateSource.ToObject(run.Inputs)),
            run.DryRun
                ? new PlannedOutputsSource(new JsonTemplateSource("nodes", outputs), run.NodeOutputs.Keys.ToHashSet(StringComparer.Ordinal))
                : new JsonTemplateSource("nodes", outputs),
            new JsonTemplateSource("run", new JsonObject
            {
                ["id"] = run.RunId, ["runbook"] = run.RunbookId, ["version"] = run.RunbookVersion,
                ["cluster"] = run.ClusterId, ["dryRun"] = run.DryRun,
            }),
        };
        foreach (var provider in extra) sources.AddRange(provider.For(run));
        return new TemplateResolver(sources);
    }
}

/// <summary>
/// In a dry run a node that ran may lack an output only its real change would produce (a key not yet generated); a later
/// node's template then resolves to a <see cref="PgHa.Workflows.Activities.PlannedValue"/> instead of failing the plan.
/// References to nodes that did not run, or to anything but their outputs, fail as in a real run.
/// </summary>
internal sealed class PlannedOutputsSource(JsonTemplateSource outputs, IReadOnlySet<string> ranNodes) : ITemplateSource
{
    public string Root => outputs.Root;

    public JsonNode? Resolve(TemplateReference reference, string field)
    {
        try
        {
            return outputs.Resolve(reference, field);
        }
        catch (TemplateException) when (reference.Path is [var node, "outputs", _, ..] && ranNodes.Contains(node))
        {
            return JsonValue.Create(PgHa.Workflows.Activities.PlannedValue.For(reference.Text));
        }
    }
}
