using System.Text.Json;

namespace PgHa.Workflows.Activities;

/// <summary>How an activity attempt ended: an outcome (which selects the outgoing edge) with outputs, or a wait.</summary>
public sealed record ActivityResult
{
    public required string Outcome { get; init; }
    public IReadOnlyDictionary<string, JsonElement> Outputs { get; init; } = new Dictionary<string, JsonElement>();
    public string? Error { get; init; }

    /// <summary>Set when the node pauses for a person; the engine persists the request and resumes on the decision.</summary>
    public ApprovalRequest? Approval { get; init; }

    /// <summary>
    /// Set when the node hands roles to other hosts (role → host name, complete). The engine stores them in the
    /// cluster inventory and in the run's snapshot in the same checkpoint as the node's end, so later nodes of the run,
    /// and a run resumed after a crash, see exactly the roles that checkpoint recorded.
    /// </summary>
    public IReadOnlyDictionary<string, string>? NewClusterRoles { get; init; }

    /// <summary>Set when the node sleeps durably (the run is checkpointed and woken later, even across restarts).</summary>
    public TimeSpan? Sleep { get; init; }

    public bool IsFailure => Outcome == ActivityOutcomes.Failed;

    public static ActivityResult Done(object? outputs = null) => Ended(ActivityOutcomes.Done, outputs);

    public static ActivityResult Ended(string outcome, object? outputs = null) =>
        new() { Outcome = outcome, Outputs = ToOutputs(outputs) };

    public static ActivityResult Failed(string error, object? outputs = null) =>
        new() { Outcome = ActivityOutcomes.Failed, Error = error, Outputs = ToOutputs(outputs) };

    public static ActivityResult AwaitApproval(ApprovalRequest request) =>
        new() { Outcome = "", Approval = request };

    public static ActivityResult SleepFor(TimeSpan duration) =>
        new() { Outcome = "", Sleep = duration };

    private static IReadOnlyDictionary<string, JsonElement> ToOutputs(object? outputs)
    {
        if (outputs is null) return new Dictionary<string, JsonElement>();
        var element = JsonSerializer.SerializeToElement(outputs, ActivityJson.Options);
        if (element.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("activity outputs must be an object of name → value", nameof(outputs));
        return element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }
}

public sealed record ApprovalRequest(string Prompt, string AllowedRole, DateTime? ExpiresAtUtc);

public static class ActivityJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>For input schemas: strict types (execution reads numbers from strings, the schema must not advertise it).</summary>
    public static readonly JsonSerializerOptions SchemaOptions = new(Options)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };
}
