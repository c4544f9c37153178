using System.Net;
using System.Text.Json.Nodes;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;

namespace PgHa.Server.Tests;

/// <summary>Four eyes on runbook changes: a saved version is a draft until a second principal publishes it after seeing the diff.</summary>
public sealed class RunbookReviewTests(ServerHost server) : IClassFixture<ServerHost>
{
    [Fact]
    public async Task An_operator_edit_that_removes_the_approval_gate_runs_only_after_a_second_principal_publishes_it()
    {
        using var @operator = server.Client("operator");
        using var viewer = server.Client("viewer");
        await server.SaveAndPublishAsync(TestRunbooks.Switchover("gated-change"));
        var ungated = JsonNode.Parse(TestRunbooks.Switchover("gated-change"))!.AsObject();
        ungated["nodes"] = new JsonArray(ungated["nodes"]!.AsArray().Where(n => (string?)n!["id"] is not ("approve" or "stop")).Select(n => n!.DeepClone()).ToArray());
        ungated["connections"] = new JsonArray(
            new JsonObject { ["from"] = "preflight", ["outcome"] = "Done", ["to"] = "switch" },
            new JsonObject { ["from"] = "switch", ["outcome"] = "Done", ["to"] = "verify" });
        var saved = await @operator.PutAsync("api/runbooks/gated-change", Http.Json(ungated.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);

        // The draft is not what plain starts run, and nobody without the right to run drafts may name it.
        var plain = await @operator.StartRunAsync(new { runbook = "gated-change" });
        Assert.Equal(1, (await viewer.WaitForRunAsync(plain, Http.Waiting))["run"]!["runbookVersion"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await @operator.PostAsync($"api/runs/{plain}/cancel", null)).StatusCode);
        await viewer.WaitForRunAsync(plain, Http.Ended);
        Assert.Contains("draft", (await (await @operator.PostAsync("api/runs", Http.Json(new { runbook = "gated-change", version = 2 }))).Problem(403))["detail"]!.GetValue<string>());
        var versions = (await (await viewer.GetAsync("api/runbooks/gated-change/versions")).Body()).AsArray();
        Assert.Equal(["published", "draft"], versions.Select(v => v!["status"]!.GetValue<string>()));

        // The reviewer sees the removed gate; neither the operator nor the author under another key may publish.
        var diff = await (await viewer.GetAsync("api/runbooks/gated-change/versions/2/diff")).Body();
        Assert.Equal(1, diff["from"]!.GetValue<int>());
        Assert.Contains(diff["changes"]!.AsArray(), c => (string?)c!["path"] == "nodes.approve" && (string?)c["change"] == "removed");
        Assert.Contains(diff["changes"]!.AsArray(), c => (string?)c!["path"] == "connections" && (string?)c["before"] == "preflight -Done-> approve");
        await (await @operator.PostAsync("api/runbooks/gated-change/versions/2/publish", null)).Problem(403);
        var keys = new ApiKeyFile(Path.Combine(server.Directory, ServerSettings.KeysFileName));
        using var sameAuthor = Bearer(keys.Create("operator-as-approver", Roles.Approver, principal: "Operator-Key"));
        Assert.Contains("second person", (await (await sameAuthor.PostAsync("api/runbooks/gated-change/versions/2/publish", null)).Problem(403))["detail"]!.GetValue<string>());

        using var reviewer = server.Client("approver2");
        var published = await reviewer.PostAsync("api/runbooks/gated-change/versions/2/publish", null);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        var body = await published.Body();
        Assert.Equal("second-approver", body["publishedBy"]!.GetValue<string>());
        Assert.Contains(body["diff"]!["changes"]!.AsArray(), c => (string?)c!["path"] == "nodes.approve" && (string?)c["change"] == "removed");
        await (await reviewer.PostAsync("api/runbooks/gated-change/versions/2/publish", null)).Problem(409);

        var now = await @operator.StartRunAsync(new { runbook = "gated-change" });
        var done = await viewer.WaitForRunAsync(now, Http.Ended);
        Assert.Equal((2, "Completed"), (done["run"]!["runbookVersion"]!.GetValue<int>(), Http.Status(done)));

        // A key allowed to run drafts may name one.
        Assert.Equal(HttpStatusCode.Created, (await @operator.PutAsync("api/runbooks/gated-change", Http.Json(TestRunbooks.Switchover("gated-change")))).StatusCode);
        using var tryer = Bearer(keys.Create("draft-tryer", Roles.Operator, runDrafts: true));
        var trial = await tryer.StartRunAsync(new { runbook = "gated-change", version = 3, dryRun = true });
        Assert.Equal(3, (await viewer.WaitForRunAsync(trial, Http.Ended))["run"]!["runbookVersion"]!.GetValue<int>());

        var audit = server.LogText().Split('\n');
        Assert.Contains(audit, l => l.Contains("\"Action\":\"SaveRunbook\"") && l.Contains("\"Principal\":\"operator-key\"") && l.Contains("\"Version\":2"));
        Assert.Contains(audit, l => l.Contains("\"Action\":\"PublishRunbook\"") && l.Contains("\"Principal\":\"second-approver\"") && l.Contains("\"Version\":2"));
    }

    private HttpClient Bearer(string key)
    {
        var client = server.Client(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
