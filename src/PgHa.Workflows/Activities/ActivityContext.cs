using System.Text.Json;
using PgHa.Workflows.Model;

namespace PgHa.Workflows.Activities;

/// <summary>What an activity attempt knows about its run, and where it writes its log.</summary>
public sealed class ActivityContext
{
    private readonly Action<string> _log;

    public ActivityContext(Action<string> log) => _log = log;

    public required string RunId { get; init; }
    public required string NodeId { get; init; }
    public required RunbookNode Node { get; init; }
    public required int Attempt { get; init; }

    /// <summary>In a dry run an activity only reads and records, via <see cref="Plan"/>, what it would change.</summary>
    public required bool DryRun { get; init; }

    public required string? ClusterId { get; init; }

    /// <summary>The cluster inventory as it was when the run started (null for runs without a cluster).</summary>
    public required PgHa.Clusters.ClusterInventory? Cluster { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> RunInputs { get; init; }
    public required IServiceProvider Services { get; init; }

    /// <summary>Cancelled on node timeout, run cancellation or server shutdown.</summary>
    public required CancellationToken CancellationToken { get; init; }

    /// <summary>Adds a line to the node's journal and live view; secret values are redacted.</summary>
    public void Log(string line) => _log(line);

    /// <summary>Records a change the activity would make (dry run).</summary>
    public void Plan(string change) => _log("[plan] " + change);

    /// <summary>Records a change the activity made (real run), in the words <see cref="Plan"/> uses for it in a dry run.</summary>
    public void Changed(string change) => _log("[change] " + change);
}
