using PgHa.Secrets;
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
        AllowDuplicateProperties = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        MaxDepth = 64,
    };

    public static RunbookParseResult Parse(string json)
    {
        try
        {
            var definition = JsonSerializer.Deserialize<RunbookDefinition>(json, Options);
            if (definition is null)
                return new RunbookParseResult(null, [new RunbookError(null, "$", "the runbook is empty (null); expected a JSON object with id, version, start, nodes and connections")]);
            var nulls = NullEntries(definition).ToList();
            return new RunbookParseResult(nulls.Count == 0 ? definition : null, nulls);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 0 } path ? path : "$";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, column {e.BytePositionInLine + 1})" : "";
            return new RunbookParseResult(null, [new RunbookError(null, where, $"invalid runbook JSON{line}: {Describe(e)}")]);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return new RunbookParseResult(null, [new RunbookError(null, "$", $"invalid runbook JSON: {TextSafety.WithoutTypeNames(e.Message)}")]);
        }
    }

    // System.Text.Json enforces nullability of properties but not of collection elements.
    private static IEnumerable<RunbookError> NullEntries(RunbookDefinition d)
    {
        for (var i = 0; i < d.Nodes.Count; i++)
            if (d.Nodes[i] is null) yield return new RunbookError(null, $"nodes[{i}]", "a node must be an object, not null");
        for (var i = 0; i < d.Connections.Count; i++)
            if (d.Connections[i] is null) yield return new RunbookError(null, $"connections[{i}]", "a connection must be an object, not null");
        foreach (var (name, input) in d.Inputs)
            if (input is null) yield return new RunbookError(null, $"inputs.{name}", "an input declaration must be an object, not null");
    }

    public static string Serialize(RunbookDefinition definition) => JsonSerializer.Serialize(definition, Options);

    // The first sentence of System.Text.Json's message names the problem; the rest repeats path and position.
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return TextSafety.WithoutTypeNames(cut > 0 ? message[..cut] : message);
    }
}

public sealed record RunbookParseResult(RunbookDefinition? Definition, IReadOnlyList<RunbookError> Errors);
