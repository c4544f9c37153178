using System.Text.Json;

namespace PgHa.Workflows.Validation;

/// <summary>Matches JSON values against the JSON-schema type names used by activity inputs and runbook inputs.</summary>
public static class JsonTypes
{
    public static readonly IReadOnlySet<string> Names =
        new HashSet<string>(StringComparer.Ordinal) { "string", "integer", "number", "boolean", "array", "object" };

    public static bool Matches(JsonElement value, IReadOnlyList<string> types) =>
        types.Count == 0 || types.Any(t => Matches(value, t));

    public static bool Matches(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "an integer" : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>A string holding a template is typed only when it is resolved, at execution.</summary>
    public static bool IsTemplate(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString()!.Contains("${", StringComparison.Ordinal);
}
