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
            new JsonTemplateSource("nodes", outputs),
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
