using PgHa.Workflows.Activities;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Validation;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Compilation;

/// <summary>Turns a validated runbook version into a WorkflowCore definition registered as (id, version).</summary>
public sealed class RunbookCompiler(ActivityCatalog catalog)
{
    public CompiledRunbook Compile(RunbookDefinition runbook)
    {
        var errors = new RunbookValidator(catalog).Validate(runbook);
        if (errors.Count > 0) throw new RunbookValidationException(errors);

        var graph = new RunbookGraph(runbook);
        var structure = new ForkJoinStructure(runbook, graph, catalog);
        structure.Check([]);
        var regionByJoin = structure.Regions.Values.Where(r => r is not null).ToDictionary(r => r!.Join, r => r!);

        // WorkflowCore starts every instance at step 0, so the start node takes id 0.
        var ordered = runbook.Nodes.OrderBy(n => n.Id == runbook.Start ? 0 : 1).ToList();
        var stepIds = ordered.Select((n, i) => (n.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);

        var nodes = new Dictionary<string, CompiledNode>(StringComparer.Ordinal);
        var workflow = new WorkflowDefinition
        {
            Id = runbook.Id,
            Version = runbook.Version,
            Description = runbook.Name,
            DataType = typeof(RunData),
            // Activities never throw into the engine; an escaped exception is a defect and gets the bounded handler.
            DefaultErrorBehavior = WorkflowErrorHandling.Retry,
        };
        foreach (var node in ordered)
        {
            var compiled = new CompiledNode
            {
                Node = node,
                Activity = catalog.Find(node.Activity)!,
                Runbook = null!,
                ConnectedOutcomes = graph.Outgoing(node.Id).Select(c => c.Outcome).ToHashSet(StringComparer.Ordinal),
                JoinOf = regionByJoin.GetValueOrDefault(node.Id),
            };
            nodes[node.Id] = compiled;
            workflow.Steps.Add(new NodeStep(compiled)
            {
                Id = stepIds[node.Id],
                Name = node.DisplayName,
                ExternalId = node.Id,
                Outcomes = graph.Outgoing(node.Id)
                    .Select(c => (IStepOutcome)new OutcomeEdge(c.Outcome, stepIds[c.To], c.To))
                    .ToList(),
            });
        }

        var result = new CompiledRunbook
        {
            Definition = runbook,
            Workflow = workflow,
            Nodes = nodes,
            NodeIdByStep = stepIds.ToDictionary(kv => kv.Value, kv => kv.Key),
        };
        foreach (var n in nodes.Values) n.Runbook = result;
        return result;
    }
}

/// <summary>An edge that fires only for its exact outcome (WorkflowCore's value-less outcome would match everything).</summary>
public sealed class OutcomeEdge(string outcome, int nextStep, string nextNodeId) : IStepOutcome
{
    public string ExternalNextStepId { get; set; } = nextNodeId;
    public string Label { get; set; } = outcome;
    public int NextStep { get; set; } = nextStep;

    public bool Matches(ExecutionResult executionResult, object data) =>
        executionResult.OutcomeValue is string value && value == Label;

    // Only used when resuming after compensation, which runbooks do not use.
    public bool Matches(object data) => false;
}

/// <summary>One runbook node as a WorkflowCore step; its body is built for this node.</summary>
public sealed class NodeStep(CompiledNode node) : WorkflowStep
{
    public override Type BodyType => typeof(NodeStepBody);

    public CompiledNode Node => node;

    public override IStepBody ConstructBody(IServiceProvider serviceProvider) =>
        Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<NodeStepBody>(serviceProvider, node);
}
