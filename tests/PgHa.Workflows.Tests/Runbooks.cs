using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Workflows.Tests;

/// <summary>Builds runbook JSON for tests: nodes as (id, activity, inputs), connections as "from -Outcome-> to".</summary>
public static class Runbooks
{
    public static string Json(string id, IEnumerable<(string Id, string Activity, object? Inputs)> nodes, IEnumerable<string> connections,
        object? runInputs = null, Action<JsonObject>? tweak = null)
    {
        var nodeList = nodes.ToList();
        var root = new JsonObject
        {
            ["id"] = id,
            ["version"] = 1,
            ["name"] = $"Test {id}",
            ["start"] = nodeList[0].Id,
            ["inputs"] = runInputs is null ? new JsonObject() : JsonSerializer.SerializeToNode(runInputs),
            ["nodes"] = new JsonArray(nodeList.Select(n => (JsonNode)new JsonObject
            {
                ["id"] = n.Id,
                ["activity"] = n.Activity,
                ["inputs"] = n.Inputs is null ? new JsonObject() : JsonSerializer.SerializeToNode(n.Inputs),
            }).ToArray()),
            ["connections"] = new JsonArray(connections.Select(Connection).ToArray()),
        };
        tweak?.Invoke(root);
        return root.ToJsonString();
    }

    public static (string, string, object?) Rec(string id, int hold = 0) => (id, "Record", new { name = id, holdMilliseconds = hold });

    /// <summary>"a -Done-> b"</summary>
    private static JsonNode Connection(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new JsonObject { ["from"] = parts[0], ["outcome"] = parts[1].Trim('-', '>'), ["to"] = parts[2] };
    }

    public static JsonObject Node(JsonObject runbook, string id) =>
        runbook["nodes"]!.AsArray().Select(n => n!.AsObject()).First(n => (string?)n["id"] == id);
}
