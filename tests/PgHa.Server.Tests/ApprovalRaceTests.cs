using System.Net;
using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>
/// Decisions posted from many threads across the whole window from the start of the run to the approval being recorded:
/// the starter and an approver whose role is too low never get a 200, and the approval is decided by an allowed principal.
/// </summary>
public sealed class ApprovalRaceTests(ServerHost server) : IClassFixture<ServerHost>
{
    private const int Runs = 12;
    private const int Threads = 16;

    [Fact]
    public async Task Neither_the_starter_nor_a_lower_role_ever_decides_an_approval_however_the_requests_are_timed()
    {
        using var approver = server.Client("approver");
        using var admin = server.Client("admin");
        using var viewer = server.Client("viewer");
        await server.SaveAndPublishAsync(Gate("race-starter", "approver"));
        await server.SaveAndPublishAsync(Gate("race-admin", "admin"));

        for (var i = 0; i < Runs; i++)
        {
            // The starter (an approver) hammers his own run; on the admin gate, an approver who did not start it hammers too.
            var mine = await approver.StartRunAsync(new { runbook = "race-starter" });
            var adminOnly = await server.Client("operator").StartRunAsync(new { runbook = "race-admin" });
            using var stop = new CancellationTokenSource();
            var hammers = Enumerable.Range(0, Threads).Select(t => Hammer(t % 2 == 0 ? mine : adminOnly, stop.Token)).ToList();

            await viewer.WaitForRunAsync(mine, r => Http.Waiting(r) || Http.Ended(r));
            await viewer.WaitForRunAsync(adminOnly, r => Http.Waiting(r) || Http.Ended(r));
            await Task.Delay(200);
            await stop.CancelAsync();
            var answers = (await Task.WhenAll(hammers)).SelectMany(a => a).ToList();

            Assert.DoesNotContain(HttpStatusCode.OK, answers);
            Assert.All(answers, a => Assert.True(a is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"unexpected {a}"));
            Assert.Contains(HttpStatusCode.Forbidden, answers);

            await Decide(server.Client("approver2"), mine, HttpStatusCode.OK);
            await Decide(admin, adminOnly, HttpStatusCode.OK);
            Assert.Equal("second-approver", (await viewer.WaitForRunAsync(mine, Http.Ended))["approvals"]![0]!["decidedBy"]!.GetValue<string>());
            Assert.Equal("admin-key", (await viewer.WaitForRunAsync(adminOnly, Http.Ended))["approvals"]![0]!["decidedBy"]!.GetValue<string>());
        }
    }

    private async Task<List<HttpStatusCode>> Hammer(string runId, CancellationToken stop)
    {
        using var client = server.Client("approver");
        var answers = new List<HttpStatusCode>();
        while (!stop.IsCancellationRequested)
        {
            var response = await client.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "me" }));
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK) break;
        }
        return answers;
    }

    private static async Task Decide(HttpClient client, string runId, HttpStatusCode expected)
    {
        var response = await client.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "second pair of eyes" }));
        Assert.True(response.StatusCode == expected, await response.Content.ReadAsStringAsync());
    }

    private static string Gate(string id, string role) => TestRunbooks.Build(id, 1, new JsonObject(),
        [
            new JsonObject { ["id"] = "before", ["activity"] = "Log", ["inputs"] = new JsonObject { ["message"] = "before" } },
            new JsonObject { ["id"] = "approve", ["activity"] = "WaitForApproval", ["inputs"] = new JsonObject { ["prompt"] = "go?", ["role"] = role } },
        ],
        ["before -Done-> approve"]);
}
