using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>The live view: server-sent events of a run, first its snapshot, then its node events in order.</summary>
public sealed class EventStreamTests(ServerHost server) : IClassFixture<ServerHost>
{
    private sealed record Sse(string Kind, long? Id, JsonNode Data);

    private static async IAsyncEnumerable<Sse> ReadAsync(HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        string? kind = null;
        long? id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (kind is not null) yield return new Sse(kind, id, JsonNode.Parse(data.ToString())!);
                (kind, id) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("event: ")) kind = line[7..];
            else if (line.StartsWith("id: ")) id = long.Parse(line[4..]);
            else if (line.StartsWith("data: ")) data.Append(line[6..]);
        }
    }

    [Fact]
    public async Task A_run_stream_sends_the_snapshot_then_node_events_in_order_and_ends_with_the_run()
    {
        using var op = server.Client("operator");
        using var viewer = server.Client("viewer");
        await server.SaveAndPublishAsync(TestRunbooks.Switchover("sse-order"));
        var runId = await op.StartRunAsync(new { runbook = "sse-order" });
        await viewer.WaitForRunAsync(runId, Http.Waiting);

        using var response = await viewer.GetAsync($"api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<Sse>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The server subscribes before it sends the snapshot, so once the snapshot is here no later event can be missed.
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            await foreach (var e in ReadAsync(response, timeout.Token))
            {
                events.Add(e);
                subscribed.TrySetResult();
            }
        });

        await subscribed.Task.WaitAsync(timeout.Token);
        using var approver = server.Client("approver");
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve" }))).StatusCode);
        await reading; // the stream of one run ends after run.ended

        Assert.Equal("snapshot", events[0].Kind);
        Assert.Equal(runId, events[0].Data["run"]!["runId"]!.GetValue<string>());
        Assert.Equal("Waiting", events[0].Data["nodes"]![1]!["state"]!.GetValue<string>());
        var live = events.Skip(1).ToList();
        Assert.All(live, e => Assert.Equal(runId, e.Data["runId"]!.GetValue<string>()));
        Assert.Equal(live.Select(e => e.Id!.Value).Order(), live.Select(e => e.Id!.Value));
        Assert.Equal("run.ended", live[^1].Kind);
        Assert.Equal("Completed", live[^1].Data["status"]!.GetValue<string>());

        var ended = live.Where(e => e.Kind == "node.ended" && e.Data["status"]!.GetValue<string>() == "Succeeded").Select(e => e.Data["nodeId"]!.GetValue<string>());
        Assert.Equal(["approve", "switch", "verify"], ended);
        var started = live.Where(e => e.Kind == "node.started").Select(e => e.Data["nodeId"]!.GetValue<string>()).ToList();
        Assert.Equal(["switch", "verify"], started.Where(n => n != "approve"));
        Assert.Contains(live, e => e.Kind == "node.log" && e.Data["nodeId"]!.GetValue<string>() == "switch" && e.Data["message"]!.GetValue<string>() == "switching");
        Assert.Contains(live, e => e.Kind == "approval.decided");
        // Each node starts before it ends.
        foreach (var node in new[] { "switch", "verify" })
            Assert.True(live.FindIndex(e => e.Kind == "node.started" && e.Data["nodeId"]!.GetValue<string>() == node)
                        < live.FindIndex(e => e.Kind == "node.ended" && e.Data["nodeId"]!.GetValue<string>() == node));
    }

    [Fact]
    public async Task The_all_runs_stream_sends_running_runs_then_heartbeats_and_events_of_every_run()
    {
        using var op = server.Client("operator");
        using var viewer = server.Client("viewer");
        await server.SaveAndPublishAsync(TestRunbooks.ForkJoin("sse-all"));

        using var response = await viewer.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: snapshot", await reader.ReadLineAsync());
        Assert.StartsWith("data: [", await reader.ReadLineAsync());

        var runId = await op.StartRunAsync(new { runbook = "sse-all" });
        var sawHeartbeat = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == ": heartbeat") sawHeartbeat = true;
            if (line.StartsWith("data: ") && line.Contains(runId) && line.Contains("\"kind\":\"run.ended\"")) break;
        }
        // Heartbeats come every second in the test server; wait for one if the run was quicker.
        while (!sawHeartbeat && await reader.ReadLineAsync(timeout.Token) is { } line) sawHeartbeat = line == ": heartbeat";
        Assert.True(sawHeartbeat);
    }

    [Fact]
    public async Task Streams_need_a_key_and_a_known_run()
    {
        using var anonymous = server.Client(null);
        await (await anonymous.GetAsync("api/events")).Problem(401);
        using var viewer = server.Client("viewer");
        await (await viewer.GetAsync("api/runs/run-unknown/events")).Problem(404);
    }

    [Theory]
    [InlineData("revoked")]
    [InlineData("role lowered")]
    public async Task A_stream_ends_within_seconds_when_its_key_is_revoked_or_its_role_lowered(string change)
    {
        var name = "sse-" + change.Replace(' ', '-');
        var keys = new PgHa.Server.Auth.ApiKeyFile(Path.Combine(server.Directory, PgHa.Server.Hosting.ServerSettings.KeysFileName));
        using var client = server.Client(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", keys.Create(name, "operator"));
        await server.SaveAndPublishAsync(TestRunbooks.Switchover(name));
        var runId = await client.StartRunAsync(new { runbook = name });

        foreach (var path in new[] { $"api/runs/{runId}/events", "api/events" })
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("event: snapshot", await reader.ReadLineAsync());

            if (change == "revoked") Assert.True(keys.Revoke(name));
            else File.WriteAllText(keys.Path, File.ReadAllText(keys.Path).Replace($"\"name\": \"{name}\",\n    \"role\": \"operator\"", $"\"name\": \"{name}\",\n    \"role\": \"viewer\""));
            if (change == "revoked") Assert.DoesNotContain(keys.List(), k => k.Name == name);
            else Assert.Equal("viewer", keys.List().Single(k => k.Name == name).Role);

            var ended = DateTime.UtcNow;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await reader.ReadLineAsync(timeout.Token) is not null) { }
            Assert.True(DateTime.UtcNow - ended < TimeSpan.FromSeconds(5), $"{path} took {DateTime.UtcNow - ended} to end");
            if (change == "revoked") break;
            File.WriteAllText(keys.Path, File.ReadAllText(keys.Path).Replace($"\"name\": \"{name}\",\n    \"role\": \"viewer\"", $"\"name\": \"{name}\",\n    \"role\": \"operator\""));
        }
        await server.Client("operator").PostAsync($"api/runs/{runId}/cancel", null);
    }
}
