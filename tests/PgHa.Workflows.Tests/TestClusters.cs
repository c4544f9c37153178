using System.Text.Json.Nodes;

namespace PgHa.Workflows.Tests;

public static class TestClusters
{
    /// <summary>A cluster "one" (master pg1, slave pg2, replica pg3) whose key files exist; nothing connects to its hosts.</summary>
    public static string One(string besideFile)
    {
        var key = Path.Combine(Path.GetDirectoryName(besideFile)!, "id_test");
        File.WriteAllText(key, "not a real key");
        File.WriteAllText(key + ".known_hosts", "");
        return new JsonObject
        {
            ["id"] = "one", ["name"] = "three hosts nobody connects to",
            ["hosts"] = new JsonArray(Enumerable.Range(1, 3).Select(i => (JsonNode)new JsonObject { ["name"] = $"pg{i}", ["address"] = $"10.99.0.{i}" }).ToArray()),
            ["roles"] = new JsonObject { ["master"] = "pg1", ["slave"] = "pg2", ["replica"] = "pg3" },
            ["accounts"] = new JsonObject { ["admin"] = new JsonObject { ["user"] = "devops", ["keyFile"] = key }, ["deploy"] = new JsonObject { ["user"] = "silkcloud", ["keyFile"] = key } },
            ["knownHostsFile"] = key + ".known_hosts",
        }.ToJsonString();
    }
}
