using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Secrets;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

/// <summary>
/// Defence in depth: the engine redacts logs and errors, but node outputs are stored as the activity returned them
/// (e.g. a Log message that resolved <c>${secrets.x}</c>). Every run document leaving the server goes through here.
/// </summary>
public sealed class ResponseRedaction(SecretRedactor redactor)
{
    /// <summary>Values of PGHA_SECRET_* are known from the start, not only once a run has resolved them.</summary>
    public void RegisterEnvironmentSecrets()
    {
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            if (variable.Key is string name && name.StartsWith("PGHA_SECRET_", StringComparison.Ordinal))
                redactor.Register(variable.Value as string);
    }

    public RunView Redact(RunView run) => run with
    {
        Inputs = run.Inputs.ToDictionary(i => i.Key, i => Redact(i.Value)!.Value),
        Journal = run.Journal.Select(j => j with { Outputs = Redact(j.Outputs), Log = Text(j.Log), Error = Text(j.Error) }).ToList(),
    };

    public RunEvent Redact(RunEvent e) => e with { Message = Text(e.Message) };

    private string? Text(string? text) => text is null ? null : redactor.Redact(text);

    private JsonElement? Redact(JsonElement? element)
    {
        if (element is not { } value) return null;
        var node = JsonNode.Parse(value.GetRawText());
        return JsonSerializer.SerializeToElement(Walk(node));
    }

    private JsonNode? Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList()) o[key] = Walk(child?.DeepClone());
                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) a[i] = Walk(a[i]?.DeepClone());
                return a;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(redactor.Redact(v.GetValue<string>()));
            default:
                return node;
        }
    }
}
