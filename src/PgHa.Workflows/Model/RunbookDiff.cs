using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Workflows.Model;

/// <summary>One difference between two versions: what (a field, <c>nodes.{id}</c>, <c>connections</c>), how, and both sides.</summary>
public sealed record RunbookChange(string Path, string Change, JsonNode? Before, JsonNode? After);

/// <summary>
/// What publishing a draft changes against the published version: top-level fields, nodes by id and connections as
/// edges. Positions on the canvas are changes too (a reviewer sees everything that differs).
/// </summary>
public sealed record RunbookDiff(string RunbookId, int? From, int To, IReadOnlyList<RunbookChange> Changes)
{
    public const string Added = "added";
    public const string Removed = "removed";
    public const string Changed = "changed";

    public static RunbookDiff Between(RunbookDefinition? published, RunbookDefinition draft)
    {
        var before = published is null ? new JsonObject() : Tree(published);
        var after = Tree(draft);
        var changes = new List<RunbookChange>();
        foreach (var field in new[] { "name", "description", "inputs", "start" })
            Compare(field, before[field], after[field], changes);

        var oldNodes = Nodes(before);
        var newNodes = Nodes(after);
        foreach (var id in oldNodes.Keys.Union(newNodes.Keys).Order(StringComparer.Ordinal))
            Compare($"nodes.{id}", oldNodes.GetValueOrDefault(id), newNodes.GetValueOrDefault(id), changes);

        var oldEdges = Edges(before);
        var newEdges = Edges(after);
        foreach (var edge in oldEdges.Except(newEdges).Order(StringComparer.Ordinal))
            changes.Add(new RunbookChange("connections", Removed, JsonValue.Create(edge), null));
        foreach (var edge in newEdges.Except(oldEdges).Order(StringComparer.Ordinal))
            changes.Add(new RunbookChange("connections", Added, null, JsonValue.Create(edge)));
        return new RunbookDiff(draft.Id, published?.Version, draft.Version, changes);
    }

    private static void Compare(string path, JsonNode? before, JsonNode? after, List<RunbookChange> changes)
    {
        if (JsonNode.DeepEquals(before, after)) return;
        var change = before is null ? Added : after is null ? Removed : Changed;
        changes.Add(new RunbookChange(path, change, before?.DeepClone(), after?.DeepClone()));
    }

    private static JsonObject Tree(RunbookDefinition d) => JsonNode.Parse(RunbookJson.Serialize(d))!.AsObject();

    private static Dictionary<string, JsonNode> Nodes(JsonObject tree) =>
        (tree["nodes"]?.AsArray() ?? []).Where(n => n is not null)
        .GroupBy(n => n!["id"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.First()!);

    private static HashSet<string> Edges(JsonObject tree) =>
        (tree["connections"]?.AsArray() ?? []).Where(c => c is not null)
        .Select(c => $"{c!["from"]} -{c["outcome"]}-> {c["to"]}").ToHashSet(StringComparer.Ordinal);
}
