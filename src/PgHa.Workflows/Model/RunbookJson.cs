using System.Text.Json;
using System.Text.Json.Serialization;
using PgHa.Workflows.Validation;

namespace PgHa.Workflows.Model;

/// <summary>Reads and writes runbook JSON. Reading never throws on bad input: it reports errors instead.</summary>
public static class RunbookJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        MaxDepth = 64,
    };

    public static RunbookParseResult Parse(string json)
    {
        try
        {
            var definition = JsonSerializer.Deserialize<RunbookDefinition>(json, Options);
            return definition is null
                ? new RunbookParseResult(null, [new RunbookError(null, "$", "the runbook is empty (null); expected a JSON object with id, version, start, nodes and connections")])
                : new RunbookParseResult(definition, []);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 0 } path ? path : "$";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, column {e.BytePositionInLine + 1})" : "";
            return new RunbookParseResult(null, [new RunbookError(null, where, $"invalid runbook JSON{line}: {Describe(e)}")]);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return new RunbookParseResult(null, [new RunbookError(null, "$", $"invalid runbook JSON: {e.Message}")]);
        }
    }

    public static string Serialize(RunbookDefinition definition) => JsonSerializer.Serialize(definition, Options);

    // The first sentence of System.Text.Json's message names the problem; the rest repeats path and position.
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

public sealed record RunbookParseResult(RunbookDefinition? Definition, IReadOnlyList<RunbookError> Errors);
