using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>Runbooks made of built-in activities only (Log, Delay, Fork, Join, Fail, WaitForApproval).</summary>
public static class TestRunbooks
{
    /// <summary>preflight → approve (WaitForApproval) → switch → verify; Rejected → stop (Fail).</summary>
    public static string Switchover(string id = "switchover", int version = 1) => Build(id, version,
        new JsonObject { ["maxLagBytes"] = new JsonObject { ["type"] = "integer", ["default"] = 0 } },
        [
            Node("preflight", "Log", new JsonObject { ["message"] = "lag limit ${inputs.maxLagBytes}" }),
            Node("approve", "WaitForApproval", new JsonObject { ["prompt"] = "Promote the standby?" }),
            Node("switch", "Log", new JsonObject { ["message"] = "switching" }),
            Node("verify", "Log", new JsonObject { ["message"] = "verified" }),
            Node("stop", "Fail", new JsonObject { ["message"] = "rejected by the approver" }),
        ],
        ["preflight -Done-> approve", "approve -Approved-> switch", "approve -Rejected-> stop", "switch -Done-> verify"]);

    /// <summary>start → fork → (a1 → a2 | b1) → join → after: six nodes that each must succeed exactly once.</summary>
    public static string ForkJoin(string id = "fork-join") => Build(id, 1, new JsonObject(),
        [
            Node("start", "Log", new JsonObject { ["message"] = "start" }),
            Node("fork", "Fork", new JsonObject()),
            Node("a1", "Log", new JsonObject { ["message"] = "a1" }),
            Node("a2", "Delay", new JsonObject { ["seconds"] = 0 }),
            Node("b1", "Log", new JsonObject { ["message"] = "b1" }),
            Node("join", "Join", new JsonObject()),
            Node("after", "Log", new JsonObject { ["message"] = "after" }),
        ],
        ["start -Done-> fork", "fork -Done-> a1", "fork -Done-> b1", "a1 -Done-> a2", "a2 -Done-> join", "b1 -Done-> join", "join -Done-> after"]);

    /// <summary>first → wait (durable Delay) → last.</summary>
    public static string Sleeper(string id = "sleeper", int seconds = 4) => Build(id, 1, new JsonObject(),
        [
            Node("first", "Log", new JsonObject { ["message"] = "first" }),
            Node("wait", "Delay", new JsonObject { ["seconds"] = seconds }),
            Node("last", "Log", new JsonObject { ["message"] = "last" }),
        ],
        ["first -Done-> wait", "wait -Done-> last"]);

    /// <summary>Invalid: the approval node lacks its required prompt.</summary>
    public static string MissingPrompt() => Build("broken", 1, new JsonObject(),
        [Node("approve", "WaitForApproval", new JsonObject())], []);

    public static string Build(string id, int version, JsonObject inputs, JsonObject[] nodes, string[] connections) => new JsonObject
    {
        ["id"] = id, ["version"] = version, ["name"] = $"Test {id}", ["inputs"] = inputs, ["start"] = nodes[0]["id"]!.GetValue<string>(),
        ["nodes"] = new JsonArray(nodes.Cast<JsonNode>().ToArray()),
        ["connections"] = new JsonArray(connections.Select(c =>
        {
            var p = c.Split(' ');
            return (JsonNode)new JsonObject { ["from"] = p[0], ["outcome"] = p[1].Trim('-', '>'), ["to"] = p[2] };
        }).ToArray()),
    }.ToJsonString();

    private static JsonObject Node(string id, string activity, JsonObject inputs) =>
        new() { ["id"] = id, ["activity"] = activity, ["inputs"] = inputs };

    /// <summary>A valid three-host inventory whose key and known_hosts files exist in <paramref name="directory"/>.</summary>
    public static string Cluster(string directory, string id = "lab")
    {
        var key = Path.Combine(directory, "id_test");
        var knownHosts = Path.Combine(directory, "known_hosts");
        File.WriteAllText(key, "not a real key; the inventory only needs the file to exist");
        File.WriteAllText(knownHosts, "");
        return new JsonObject
        {
            ["id"] = id, ["name"] = "Test cluster",
            ["hosts"] = new JsonArray(
                new JsonObject { ["name"] = "pg1", ["address"] = "10.99.0.1" },
                new JsonObject { ["name"] = "pg2", ["address"] = "10.99.0.2" },
                new JsonObject { ["name"] = "pg3", ["address"] = "10.99.0.3" }),
            ["roles"] = new JsonObject { ["master"] = "pg1", ["slave"] = "pg2", ["replica"] = "pg3" },
            ["accounts"] = new JsonObject
            {
                ["admin"] = new JsonObject { ["user"] = "devops", ["keyFile"] = key },
                ["deploy"] = new JsonObject { ["user"] = "silkcloud", ["keyFile"] = key },
            },
            ["knownHostsFile"] = knownHosts,
            ["secrets"] = new JsonObject { ["replicationPassword"] = "lab-replication-password" },
        }.ToJsonString();
    }
}
