using System.Text.Json;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// The data WorkflowCore carries for one run, persisted with every checkpoint. Our own stable DTO: stored as
/// JSON under a fixed tag, never as a .NET type name.
/// </summary>
public sealed class RunData
{
    public string RunId { get; set; } = "";
    public string RunbookId { get; set; } = "";
    public int RunbookVersion { get; set; }
    public string? ClusterId { get; set; }
    public bool DryRun { get; set; }
    public Dictionary<string, JsonElement> Inputs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Outputs of the last completed attempt of each node, for <c>${nodes.id.outputs.x}</c>.</summary>
    public Dictionary<string, Dictionary<string, JsonElement>> NodeOutputs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Join id → indexes of the Fork branches that have arrived so far.</summary>
    public Dictionary<string, List<int>> JoinArrivals { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Why the run must end as failed; once set, remaining nodes are skipped.</summary>
    public string? Failure { get; set; }

    public bool Cancelled { get; set; }

    public string StartedBy { get; set; } = "";

    /// <summary>The cluster inventory as it was when the run started, so a resumed run targets the same hosts.</summary>
    public JsonElement? Cluster { get; set; }

    public bool Halted => Failure is not null || Cancelled;
}

/// <summary>Per-node state kept in the execution pointer between passes (retry waits, durable sleeps).</summary>
public sealed class StepState
{
    public int Attempt { get; set; } = 1;
    public DateTime? WakeAtUtc { get; set; }
    public string? ApprovalKey { get; set; }
}

/// <summary>The event payload that resumes a node waiting for approval.</summary>
public sealed class ApprovalDecisionEvent
{
    public string Decision { get; set; } = "";
    public string? DecidedBy { get; set; }
    public string? Comment { get; set; }
    public DateTime DecidedAtUtc { get; set; }
}
