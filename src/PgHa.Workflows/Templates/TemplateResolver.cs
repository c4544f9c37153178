using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PgHa.Workflows.Templates;

/// <summary>
/// Resolves <c>${root.path}</c> templates in node inputs at execution time. A string that is exactly one
/// template takes the referenced value with its JSON type; templates inside longer strings are interpolated.
/// </summary>
public sealed partial class TemplateResolver(IReadOnlyList<ITemplateSource> sources)
{
    /// <summary>Roots a runbook may reference; the cluster roots are supplied by the cluster layer.</summary>
    public static readonly IReadOnlySet<string> KnownRoots =
        new HashSet<string>(StringComparer.Ordinal) { "inputs", "nodes", "run", "roles", "hosts", "cluster", "secrets" };

    [GeneratedRegex(@"\$\{([^{}]*)\}")]
    private static partial Regex TemplatePattern();

    public static IEnumerable<TemplateReference> References(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                foreach (Match m in TemplatePattern().Matches(value.GetString()!))
                    yield return TemplateReference.Parse(m.Groups[1].Value);
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                foreach (var r in References(item)) yield return r;
                break;
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject())
                foreach (var r in References(p.Value)) yield return r;
                break;
        }
    }

    public JsonNode? Resolve(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.String => ResolveString(value.GetString()!, field),
        JsonValueKind.Array => new JsonArray(value.EnumerateArray().Select((v, i) => Resolve(v, $"{field}[{i}]")).ToArray()),
        JsonValueKind.Object => new JsonObject(value.EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, Resolve(p.Value, $"{field}.{p.Name}")))),
        _ => JsonNode.Parse(value.GetRawText()),
    };

    private JsonNode? ResolveString(string text, string field)
    {
        var matches = TemplatePattern().Matches(text);
        if (matches.Count == 0) return JsonValue.Create(text);
        if (matches.Count == 1 && matches[0].Length == text.Length)
            return Lookup(TemplateReference.Parse(matches[0].Groups[1].Value), field)?.DeepClone();

        var builder = new StringBuilder();
        var last = 0;
        foreach (Match m in matches)
        {
            builder.Append(text, last, m.Index - last);
            var resolved = Lookup(TemplateReference.Parse(m.Groups[1].Value), field);
            builder.Append(resolved is JsonValue v && v.TryGetValue<string>(out var s) ? s : resolved?.ToJsonString() ?? "");
            last = m.Index + m.Length;
        }
        builder.Append(text, last, text.Length - last);
        return JsonValue.Create(builder.ToString());
    }

    private JsonNode? Lookup(TemplateReference reference, string field)
    {
        var source = sources.FirstOrDefault(s => s.Root == reference.Root)
            ?? throw new TemplateException(field, reference, $"'{reference.Root}' is not available in this run");
        return source.Resolve(reference, field);
    }
}

public sealed record TemplateReference(string Text, string Root, IReadOnlyList<string> Path)
{
    public static TemplateReference Parse(string text)
    {
        var parts = text.Trim().Split('.', StringSplitOptions.TrimEntries);
        return new TemplateReference(text.Trim(), parts[0], parts.Skip(1).ToList());
    }

    public override string ToString() => "${" + Text + "}";
}

/// <summary>Supplies the values under one template root.</summary>
public interface ITemplateSource
{
    string Root { get; }

    /// <exception cref="TemplateException">the path does not exist</exception>
    JsonNode? Resolve(TemplateReference reference, string field);
}

public sealed class TemplateException(string field, TemplateReference reference, string problem)
    : Exception($"input '{field}': template {reference} cannot be resolved: {problem}")
{
    public string Field { get; } = field;
}

/// <summary>A template root backed by a JSON object tree (inputs, node outputs, run facts, cluster facts).</summary>
public sealed class JsonTemplateSource(string root, JsonObject values) : ITemplateSource
{
    public string Root => root;

    public JsonNode? Resolve(TemplateReference reference, string field)
    {
        JsonNode? current = values;
        var walked = root;
        foreach (var segment in reference.Path)
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(segment, out var next))
                throw new TemplateException(field, reference, $"'{walked}' has no '{segment}'");
            current = next;
            walked += "." + segment;
        }
        return current;
    }

    public static JsonObject ToObject<T>(IReadOnlyDictionary<string, T> values) =>
        JsonSerializer.SerializeToNode(values) as JsonObject ?? new JsonObject();
}
