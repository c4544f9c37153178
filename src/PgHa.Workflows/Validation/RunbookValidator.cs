using PgHa.Secrets;
using System.Text.Json;
using System.Text.RegularExpressions;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Model;
using PgHa.Workflows.Templates;

namespace PgHa.Workflows.Validation;

/// <summary>Checks a runbook against the activity catalog and reports every problem at once.</summary>
public sealed partial class RunbookValidator(ActivityCatalog catalog)
{
    public const string ForkActivity = "Fork";
    public const string JoinActivity = "Join";

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,99}$")]
    private static partial Regex IdPattern();

    public IReadOnlyList<RunbookError> Validate(RunbookDefinition runbook)
    {
        var errors = new List<RunbookError>();
        CheckHeader(runbook, errors);
        CheckInputDeclarations(runbook, errors);

        var nodes = new Dictionary<string, RunbookNode>(StringComparer.Ordinal);
        var duplicateIds = false;
        for (var i = 0; i < runbook.Nodes.Count; i++)
        {
            var node = runbook.Nodes[i];
            if (string.IsNullOrWhiteSpace(node.Id))
            {
                errors.Add(new RunbookError(null, $"nodes[{i}].id", "every node needs an id"));
                continue;
            }
            if (!IdPattern().IsMatch(node.Id))
                errors.Add(new RunbookError(node.Id, "id", "use lower-case letters, digits, '-' and '_' (at most 100 characters)"));
            if (!nodes.TryAdd(node.Id, node))
            {
                duplicateIds = true;
                errors.Add(new RunbookError(node.Id, "id", $"duplicate id: nodes[{i}] reuses an id already taken by an earlier node; rename one of them"));
            }
        }

        foreach (var node in nodes.Values) CheckNode(runbook, node, nodes, errors);
        foreach (var node in nodes.Values) errors.AddRange(catalog.CheckInputs(node));
        var graphIsSound = CheckConnections(runbook, nodes, errors);
        // Graph checks on a graph with dangling edges or ambiguous ids would only repeat those errors.
        if (!graphIsSound || duplicateIds) return errors;

        var graph = new RunbookGraph(runbook, nodes);
        CheckStartAndReachability(runbook, graph, errors);
        if (CheckCycles(graph, errors))
            new ForkJoinStructure(runbook, graph, catalog).Check(errors);
        return errors;
    }

    private static void CheckHeader(RunbookDefinition runbook, List<RunbookError> errors)
    {
        if (string.IsNullOrWhiteSpace(runbook.Id))
            errors.Add(new RunbookError(null, "id", "the runbook needs an id, e.g. \"planned-failover\""));
        else if (!IdPattern().IsMatch(runbook.Id))
            errors.Add(new RunbookError(null, "id", $"'{runbook.Id}' is not a valid id; use lower-case letters, digits, '-' and '_'"));
        if (runbook.Version < 1)
            errors.Add(new RunbookError(null, "version", "version must be a whole number of at least 1"));
        if (string.IsNullOrWhiteSpace(runbook.Name))
            errors.Add(new RunbookError(null, "name", "give the runbook a name operators will recognise"));
        if (runbook.Nodes.Count == 0)
            errors.Add(new RunbookError(null, "nodes", "the runbook has no nodes"));
    }

    private static void CheckInputDeclarations(RunbookDefinition runbook, List<RunbookError> errors)
    {
        foreach (var (name, input) in runbook.Inputs)
        {
            var field = $"inputs.{name}";
            if (!JsonTypes.Names.Contains(input.Type))
                errors.Add(new RunbookError(null, $"{field}.type", $"unknown type '{input.Type}'; use one of {string.Join(", ", JsonTypes.Names)}"));
            else if (input.Default is { } d && !JsonTypes.Matches(d, input.Type))
                errors.Add(new RunbookError(null, $"{field}.default", $"the default is {JsonTypes.Describe(d)} but the input is declared {input.Type}"));
        }
    }

    private void CheckNode(RunbookDefinition runbook, RunbookNode node, IReadOnlyDictionary<string, RunbookNode> nodes, List<RunbookError> errors)
    {
        if (node.Retry is { } retry)
        {
            if (retry.Attempts is < 1 or > 100)
                errors.Add(new RunbookError(node.Id, "retry.attempts", "attempts is the total number of tries: 1 to 100"));
            if (retry.DelaySeconds is < 0 or > 86_400)
                errors.Add(new RunbookError(node.Id, "retry.delaySeconds", "delaySeconds must be between 0 and 86400"));
        }
        if (node.TimeoutSeconds is <= 0 or > 7 * 86_400)
            errors.Add(new RunbookError(node.Id, "timeoutSeconds", "timeoutSeconds must be between 1 and 604800 (leave it out for no timeout)"));

        var descriptor = catalog.Find(node.Activity);
        if (descriptor is null)
        {
            var known = string.Join(", ", catalog.All.Select(d => d.Name));
            errors.Add(new RunbookError(node.Id, "activity", string.IsNullOrEmpty(node.Activity)
                ? $"every node needs an activity; known activities: {known}"
                : $"unknown activity '{node.Activity}'; known activities: {known}"));
            return;
        }

        foreach (var (name, value) in node.Inputs)
        {
            var field = $"inputs.{name}";
            if (!descriptor.InputFields.TryGetValue(name, out var input))
            {
                var accepted = descriptor.InputFields.Count == 0 ? "none" : string.Join(", ", descriptor.InputFields.Keys);
                errors.Add(new RunbookError(node.Id, field, $"{descriptor.Name} has no input '{name}'; its inputs are: {accepted}"));
                continue;
            }
            if (!JsonTypes.IsTemplate(value) && !JsonTypes.Matches(value, input.Types))
                errors.Add(new RunbookError(node.Id, field, $"expected {string.Join(" or ", input.Types)} but got {JsonTypes.Describe(value)}"));
            else if (OutOfBounds(value, input) is { } bound)
                errors.Add(new RunbookError(node.Id, field, bound));
            CheckTemplates(runbook, node, field, value, nodes, errors);
        }
        CheckTimeoutBoundsWait(node, errors);
        foreach (var (name, input) in descriptor.InputFields)
            if (input.Required && !node.Inputs.ContainsKey(name))
                errors.Add(new RunbookError(node.Id, $"inputs.{name}", $"{descriptor.Name} requires input '{name}'" +
                                                                       (input.Description is null ? "" : $" ({input.Description})")));
    }

    private static string? OutOfBounds(JsonElement value, InputField input)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            && (number < input.Minimum || number > input.Maximum))
            return $"{value.GetRawText()} is out of range; use {input.Minimum} to {input.Maximum}";
        if (value.ValueKind == JsonValueKind.String && input.Allowed is { } allowed && !JsonTypes.IsTemplate(value)
            && !allowed.Contains(value.GetString()!))
            return $"'{TextSafety.Escape(value.GetString()!)}' is not accepted; use one of {string.Join(", ", allowed)}";
        return null;
    }

    // A durable wait outlives any timeout the engine could enforce, so the two together are refused unless the timeout covers the wait.
    private static void CheckTimeoutBoundsWait(RunbookNode node, List<RunbookError> errors)
    {
        if (node.TimeoutSeconds is not { } timeout) return;
        if (node.Activity == "WaitForApproval")
            errors.Add(new RunbookError(node.Id, "timeoutSeconds", "an approval is bounded by inputs.expiresAfterSeconds, not timeoutSeconds; remove timeoutSeconds"));
        else if (node.Activity == "Delay" && (!node.Inputs.TryGetValue("seconds", out var seconds)
                                              || seconds.ValueKind != JsonValueKind.Number || !seconds.TryGetInt64(out var s) || s > timeout))
            errors.Add(new RunbookError(node.Id, "timeoutSeconds", $"the Delay may wait longer than timeoutSeconds ({timeout}); give a literal seconds of at most {timeout} or remove timeoutSeconds"));
    }

    private static void CheckTemplates(RunbookDefinition runbook, RunbookNode node, string field, JsonElement value,
        IReadOnlyDictionary<string, RunbookNode> nodes, List<RunbookError> errors)
    {
        foreach (var reference in TemplateResolver.References(value))
        {
            if (!TemplateResolver.KnownRoots.Contains(reference.Root))
                errors.Add(new RunbookError(node.Id, field, $"template {reference} starts with unknown '{reference.Root}'; use one of {string.Join(", ", TemplateResolver.KnownRoots)}"));
            else if (reference.Path.Count == 0 || reference.Path.Any(string.IsNullOrEmpty))
                errors.Add(new RunbookError(node.Id, field, $"template {reference} is incomplete"));
            else if (reference.Root == "inputs" && !runbook.Inputs.ContainsKey(reference.Path[0]))
                errors.Add(new RunbookError(node.Id, field, $"template {reference} refers to run input '{reference.Path[0]}', which the runbook does not declare under \"inputs\""));
            else if (reference.Root == "nodes" && !nodes.ContainsKey(reference.Path[0]))
                errors.Add(new RunbookError(node.Id, field, $"template {reference} refers to node '{reference.Path[0]}', which does not exist"));
            else if (reference.Root == "nodes" && (reference.Path.Count < 3 || reference.Path[1] != "outputs"))
                errors.Add(new RunbookError(node.Id, field, $"template {reference} must have the form ${{nodes.<id>.outputs.<name>}}"));
        }
    }

    private bool CheckConnections(RunbookDefinition runbook, IReadOnlyDictionary<string, RunbookNode> nodes, List<RunbookError> errors)
    {
        var sound = true;
        var seen = new HashSet<(string, string, string)>();
        for (var i = 0; i < runbook.Connections.Count; i++)
        {
            var c = runbook.Connections[i];
            var field = $"connections[{i}]";
            if (!nodes.TryGetValue(c.From, out var from))
            {
                errors.Add(new RunbookError(null, $"{field}.from", $"dangling connection: there is no node '{c.From}'"));
                sound = false;
            }
            if (!nodes.ContainsKey(c.To))
            {
                errors.Add(new RunbookError(from?.Id, $"{field}.to", $"dangling connection: there is no node '{c.To}'"));
                sound = false;
            }
            if (from is not null && catalog.Find(from.Activity) is { } descriptor && !descriptor.Outcomes.Contains(c.Outcome))
            {
                errors.Add(new RunbookError(from.Id, $"{field}.outcome", $"unknown outcome '{c.Outcome}'; {descriptor.Name} ends with one of: {string.Join(", ", descriptor.Outcomes)}"));
                sound = false;
            }
            if (!seen.Add((c.From, c.Outcome, c.To)))
                errors.Add(new RunbookError(from?.Id, field, $"the connection {c.From} --{c.Outcome}--> {c.To} is listed twice"));
        }
        return sound;
    }

    private static void CheckStartAndReachability(RunbookDefinition runbook, RunbookGraph graph, List<RunbookError> errors)
    {
        if (string.IsNullOrWhiteSpace(runbook.Start) || !graph.Contains(runbook.Start))
        {
            errors.Add(new RunbookError(null, "start", string.IsNullOrWhiteSpace(runbook.Start)
                ? "name the node the run starts at in \"start\""
                : $"start node '{runbook.Start}' does not exist"));
            return;
        }
        if (graph.Predecessors(runbook.Start).Count > 0)
            errors.Add(new RunbookError(runbook.Start, "start", $"the start node has incoming connections (from {string.Join(", ", graph.Predecessors(runbook.Start))}); nothing may lead back to the start"));

        var extraStarts = graph.Nodes.Where(n => n != runbook.Start && graph.Predecessors(n).Count == 0).ToHashSet();
        foreach (var n in extraStarts)
            errors.Add(new RunbookError(n, "connections", $"more than one start: '{n}' has no incoming connection but the start is '{runbook.Start}'; connect it or remove it"));

        var reachable = graph.ReachableFrom(runbook.Start);
        foreach (var n in graph.Nodes.Where(n => !reachable.Contains(n) && !extraStarts.Contains(n)))
            errors.Add(new RunbookError(n, "connections", $"unreachable node: no path leads from the start '{runbook.Start}' to '{n}'"));
    }

    private static bool CheckCycles(RunbookGraph graph, List<RunbookError> errors)
    {
        var cycle = graph.FindCycle();
        if (cycle is null) return true;
        errors.Add(new RunbookError(cycle[0], "connections",
            $"cycle: {string.Join(" -> ", cycle)} -> {cycle[0]}; runbooks may not loop (use retry on the node instead)"));
        return false;
    }
}
