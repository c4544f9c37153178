using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgHa.Workflows.Model;

/// <summary>One version of a runbook graph as authors write it (design §4).</summary>
public sealed record RunbookDefinition
{
    public string Id { get; init; } = "";
    public int Version { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public Dictionary<string, RunbookInput> Inputs { get; init; } = new(StringComparer.Ordinal);
    public string Start { get; init; } = "";
    public List<RunbookNode> Nodes { get; init; } = [];
    public List<RunbookConnection> Connections { get; init; } = [];
}

/// <summary>A run input the runbook declares: type (string, integer, number, boolean, array, object), default, required.</summary>
public sealed record RunbookInput
{
    public string Type { get; init; } = "string";
    public JsonElement? Default { get; init; }
    public bool Required { get; init; }
    public string? Description { get; init; }
}

public sealed record RunbookNode
{
    public string Id { get; init; } = "";
    public string Activity { get; init; } = "";
    public string? Title { get; init; }
    public string? Description { get; init; }
    public Dictionary<string, JsonElement> Inputs { get; init; } = new(StringComparer.Ordinal);
    public NodeRetry? Retry { get; init; }
    public int? TimeoutSeconds { get; init; }
    public NodePosition? Position { get; init; }

    [JsonIgnore]
    public string DisplayName => string.IsNullOrWhiteSpace(Title) ? Id : Title;
}

/// <summary>Attempts is the total number of tries (1 = no retry).</summary>
public sealed record NodeRetry
{
    public int Attempts { get; init; } = 1;
    public int DelaySeconds { get; init; }
}

public sealed record NodePosition
{
    public double X { get; init; }
    public double Y { get; init; }
}

/// <summary>An edge taken when <see cref="From"/> ends with <see cref="Outcome"/>.</summary>
public sealed record RunbookConnection
{
    public string From { get; init; } = "";
    public string Outcome { get; init; } = "";
    public string To { get; init; } = "";
}
