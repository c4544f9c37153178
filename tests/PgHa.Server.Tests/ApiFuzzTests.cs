using System.Text;
using CsCheck;

namespace PgHa.Server.Tests;

/// <summary>
/// Property test of the API on the real server: random JSON, mutated valid bodies, duplicate keys, huge and deep values
/// sent to every route that takes a body. Never a 5xx; a refusal is always a problem document and leaves the store as it was.
/// </summary>
public sealed class ApiFuzzTests(ServerHost server) : IClassFixture<ServerHost>
{
    private static readonly string[] Names =
        ["runbook", "version", "cluster", "inputs", "dryRun", "node", "decision", "comment", "id", "name", "start", "nodes", "connections",
         "activity", "from", "to", "outcome", "hosts", "roles", "address", "accounts", "keyFile", "settings", "$type", "__proto__", ""];

    private static readonly Gen<string> Scalar = Gen.OneOf(
        Gen.Const("null"), Gen.Const("true"), Gen.Const("false"), Gen.Const("99999999999999999999"), Gen.Const("-1"), Gen.Const("1e308"),
        Gen.Int.Select(i => i.ToString()), Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R") : "0"),
        Gen.String.Select(Quote), Gen.Int[0, Names.Length - 1].Select(i => Names[i]).Select(Quote), Gen.Const("\"${secrets.x}\""), Gen.Const("\"\\u0000\\u001b[31m\""));

    private static readonly Gen<string> Json = Value(4);

    private static Gen<string> Value(int depth) => depth == 0
        ? Scalar
        : Gen.OneOf(Scalar,
            Value(depth - 1).Array[0, 4].Select(items => "[" + string.Join(",", items) + "]"),
            Gen.Select(Gen.OneOf(Gen.Int[0, Names.Length - 1].Select(i => Names[i]), Gen.String), Value(depth - 1)).Array[0, 5]
                .Select(pairs => "{" + string.Join(",", pairs.Select(p => Quote(p.Item1) + ":" + p.Item2)) + "}"));

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    private static readonly string[] Fragments = ["{", "}", "[", "]", ",", ":", "\"", "null", "\"runbook\":\"x\",", "\"id\":\"a\",", "\\", "\u0000", "9e999"];

    /// <summary>Valid bodies mutated: a cut, an inserted fragment, a duplicated key, a huge or a deeply nested value.</summary>
    private static Gen<string> Mutated(string valid) => Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, Fragments.Length - 1], Gen.Int[0, 5], Gen.Int[1, 3000])
        .Select(t =>
        {
            var (at, fragment, kind, size) = t;
            var open = valid.IndexOf('{') + 1;
            return kind switch
            {
                0 => valid.Remove(at, Math.Min(5, valid.Length - at)),
                1 => valid.Insert(at, Fragments[fragment]),
                2 => valid.Insert(open, "\"runbook\":\"other\",\"id\":\"other\","),
                3 => valid.Insert(open, "\"huge\":\"" + new string('h', size * 1000) + "\","),
                4 => valid.Insert(open, "\"deep\":" + new string('[', size) + new string(']', size) + ","),
                _ => valid[..at],
            };
        });

    private sealed record Target(string Method, string Path, string Role, string Valid);

    [Fact]
    public async Task No_request_body_makes_the_server_fail_or_changes_the_store_when_refused()
    {
        await server.SaveAndPublishAsync(TestRunbooks.Switchover("fuzz-gated"));
        using var @operator = server.Client("operator");
        var runId = await @operator.StartRunAsync(new { runbook = "fuzz-gated" });
        await server.Client("viewer").WaitForRunAsync(runId, Http.Waiting);
        var cluster = TestRunbooks.Cluster(server.Directory, "fuzz-cluster");
        Target[] targets =
        [
            new("POST", "api/runs", "operator", "{\"runbook\":\"fuzz-gated\",\"inputs\":{\"maxLagBytes\":1},\"dryRun\":true}"),
            new("POST", "api/runbooks/validate", "viewer", TestRunbooks.Switchover("fuzz-valid")),
            new("POST", "api/runbooks", "operator", TestRunbooks.Switchover("fuzz-gated")),
            new("PUT", "api/runbooks/fuzz-gated", "operator", TestRunbooks.Switchover("fuzz-gated")),
            new("POST", "api/clusters", "operator", cluster),
            new("POST", $"api/runs/{runId}/approvals", "approver2", "{\"node\":\"nowhere\",\"decision\":\"approve\",\"comment\":\"c\"}"),
            new("POST", "api/runbooks/fuzz-gated/versions/1/publish", "approver2", "{}"),
        ];
        var clients = targets.Select(t => t.Role).Distinct().ToDictionary(r => r, server.Client);
        var before = await StoreAsync();

        Gen.Select(Gen.Int[0, targets.Length - 1], Gen.Frequency((2, Json), (3, Gen.Int[0, targets.Length - 1].SelectMany(i => Mutated(targets[i].Valid)))))
            .Sample(t =>
            {
                var (index, body) = t;
                var target = targets[index];
                var request = new HttpRequestMessage(new HttpMethod(target.Method), target.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                using var response = clients[target.Role].Send(request);
                var status = (int)response.StatusCode;
                var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                Assert.True(status < 500, $"{target.Method} {target.Path} answered {status} to {Cut(body)}: {text}");
                if (status < 400)
                {
                    before = StoreAsync().GetAwaiter().GetResult();
                    return;
                }
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} without a problem document for {Cut(body)}: {text}");
                Assert.DoesNotContain("PgHa.", text);
                var after = StoreAsync().GetAwaiter().GetResult();
                Assert.True(after == before, $"a refused {target.Method} {target.Path} ({status}) changed the store: {Cut(body)}");
            }, iter: 400, threads: 1);
    }

    // What a client can see of the stored state; open approvals and runs, runbooks with their versions, clusters.
    private async Task<string> StoreAsync()
    {
        using var viewer = server.Client("viewer");
        var parts = new List<string>();
        foreach (var path in new[] { "api/runbooks", "api/runs?limit=1000", "api/clusters", "api/approvals", "api/runbooks/fuzz-gated/versions" })
            parts.Add(await viewer.GetStringAsync(path));
        return string.Join("\n", parts);
    }

    private static string Cut(string body) => body.Length > 300 ? body[..300] + $"... ({body.Length} chars)" : body;
}
