using System.Text.Json;
using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;

namespace PgHa.Workflows.Runtime;

/// <summary>Checks run inputs against the runbook's declarations and fills in defaults.</summary>
public static class RunInputs
{
    public static Dictionary<string, JsonElement> Check(RunbookDefinition runbook, IReadOnlyDictionary<string, JsonElement> given)
    {
        var errors = new List<RunbookError>();
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            if (!runbook.Inputs.TryGetValue(name, out var declared))
            {
                var known = runbook.Inputs.Count == 0 ? "it takes none" : "it takes: " + string.Join(", ", runbook.Inputs.Keys);
                errors.Add(new RunbookError(null, $"inputs.{name}", $"runbook '{runbook.Id}' has no input '{name}'; {known}"));
            }
            else if (!JsonTypes.Matches(value, declared.Type))
                errors.Add(new RunbookError(null, $"inputs.{name}", $"expected {declared.Type} but got {JsonTypes.Describe(value)}"));
            // Activities read integers as 32-bit numbers; a larger one would fail only once the node runs.
            else if (declared.Type == "integer" && !value.TryGetInt32(out _))
                errors.Add(new RunbookError(null, $"inputs.{name}", $"{value.GetRawText()} is out of range; integer inputs are {int.MinValue} to {int.MaxValue}"));
            else
                result[name] = value.Clone();
        }
        foreach (var (name, declared) in runbook.Inputs)
        {
            if (result.ContainsKey(name) || given.ContainsKey(name)) continue;
            if (declared.Default is { } d) result[name] = d.Clone();
            else if (declared.Required)
                errors.Add(new RunbookError(null, $"inputs.{name}", $"input '{name}' is required ({declared.Type})" +
                                                                    (declared.Description is null ? "" : $": {declared.Description}")));
        }
        if (errors.Count > 0) throw new RunInputException(errors);
        return result;
    }
}
