using PgHa.Workflows.Activities;
using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;
using WorkflowCore.Models;

namespace PgHa.Workflows.Compilation;

/// <summary>A validated runbook version with everything execution needs to look up per node.</summary>
public sealed class CompiledRunbook
{
    public required RunbookDefinition Definition { get; init; }
    public required WorkflowDefinition Workflow { get; init; }
    public required IReadOnlyDictionary<string, CompiledNode> Nodes { get; init; }
    public required IReadOnlyDictionary<int, string> NodeIdByStep { get; init; }
}

public sealed class CompiledNode
{
    public required RunbookNode Node { get; init; }
    public required ActivityDescriptor Activity { get; init; }
    public required CompiledRunbook Runbook { get; set; }

    /// <summary>Outcomes that have an outgoing connection.</summary>
    public required IReadOnlySet<string> ConnectedOutcomes { get; init; }

    /// <summary>For a Join: the region it closes.</summary>
    public ForkRegion? JoinOf { get; init; }

    public int MaxAttempts => Math.Max(1, Node.Retry?.Attempts ?? 1);
    public TimeSpan RetryDelay => TimeSpan.FromSeconds(Math.Max(0, Node.Retry?.DelaySeconds ?? 0));
    public TimeSpan? Timeout => Node.TimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null;
}
