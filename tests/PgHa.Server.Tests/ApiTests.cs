using System.Net;
using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>Every route of the API against the real server, with the role each needs and the problems it answers.</summary>
public sealed class ApiTests(ServerHost server) : IClassFixture<ServerHost>
{
    private readonly HttpClient _viewer = server.Client("viewer");
    private readonly HttpClient _operator = server.Client("operator");
    private readonly HttpClient _approver = server.Client("approver");

    private Task SaveAsync(string json) => server.SaveAndPublishAsync(json);

    [Fact]
    public async Task Health_and_openapi_need_no_key()
    {
        using var anonymous = server.Client(null);
        var health = await anonymous.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());

        var document = await (await anonymous.GetAsync("openapi/v1.json")).Body();
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/api/activities", "/api/runbooks", "/api/runbooks/validate", "/api/runbooks/{id}", "/api/clusters",
                     "/api/runs", "/api/runs/{id}", "/api/runs/{id}/cancel", "/api/runs/{id}/approvals", "/api/runs/{id}/events", "/api/approvals" })
            Assert.True(paths.ContainsKey(path), $"the OpenAPI document lacks {path}");
    }

    [Fact]
    public async Task Without_a_key_or_with_an_unknown_key_the_api_answers_401()
    {
        using var anonymous = server.Client(null);
        var missing = await (await anonymous.GetAsync("api/runs")).Problem(401);
        Assert.Contains("X-Api-Key", missing["detail"]!.GetValue<string>());

        using var stranger = server.Client(null);
        stranger.DefaultRequestHeaders.Add("X-Api-Key", "pgha_not-a-key");
        var unknown = await (await stranger.GetAsync("api/runbooks")).Problem(401);
        Assert.Contains("not known", unknown["detail"]!.GetValue<string>());

        // The header form works as well as the bearer form.
        using var byHeader = server.Client(null);
        byHeader.DefaultRequestHeaders.Add("X-Api-Key", server.Keys["viewer"]);
        Assert.Equal(HttpStatusCode.OK, (await byHeader.GetAsync("api/runbooks")).StatusCode);
    }

    [Fact]
    public async Task Activities_catalog_lists_built_ins_with_input_schemas()
    {
        var catalog = (await (await _viewer.GetAsync("api/activities")).Body()).AsArray();
        var approval = catalog.Single(a => a!["name"]!.GetValue<string>() == "WaitForApproval")!;
        Assert.Equal("string", approval["inputSchema"]!["properties"]!["prompt"]!["type"]!.GetValue<string>());
        Assert.Contains("prompt", approval["inputSchema"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains("Approved", approval["outcomes"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await _viewer.GetAsync("api/activities/Delay")).StatusCode);
        await (await _viewer.GetAsync("api/activities/Teleport")).Problem(404);
        // The PostgreSQL HA activities the seeded runbooks use are served too.
        var names = catalog.Select(a => a!["name"]!.GetValue<string>()).ToList();
        foreach (var domain in new[] { "InstallPackage", "UploadScripts", "RunRemoteScript", "SwitchPgBouncer", "SmokeTest", "CheckCluster" })
            Assert.Contains(domain, names);
    }

    [Fact]
    public async Task Runbooks_are_saved_listed_versioned_and_validated()
    {
        var created = await _operator.PostAsync("api/runbooks", Http.Json(TestRunbooks.Switchover("rb-crud")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _operator.PostAsync("api/runbooks", Http.Json(TestRunbooks.Switchover("rb-crud")))).StatusCode);

        // PUT saves the body as the next version whatever version it says.
        var next = await _operator.PutAsync("api/runbooks/rb-crud", Http.Json(TestRunbooks.Switchover("rb-crud", version: 1).Replace("Promote the standby?", "Really promote?")));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Equal(2, (await next.Body())["version"]!.GetValue<int>());

        var list = (await (await _viewer.GetAsync("api/runbooks")).Body()).AsArray();
        Assert.Equal(2, list.Single(r => r!["id"]!.GetValue<string>() == "rb-crud")!["version"]!.GetValue<int>());
        var latest = await (await _viewer.GetAsync("api/runbooks/rb-crud")).Body();
        Assert.Equal(2, latest["version"]!.GetValue<int>());
        var first = await (await _viewer.GetAsync("api/runbooks/rb-crud?version=1")).Body();
        Assert.Equal("Promote the standby?", first["nodes"]![1]!["inputs"]!["prompt"]!.GetValue<string>());
        var versions = (await (await _viewer.GetAsync("api/runbooks/rb-crud/versions")).Body()).AsArray();
        Assert.Equal([1, 2], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.All(versions, v => Assert.Equal("operator-key", v!["createdBy"]!.GetValue<string>()));

        await (await _viewer.GetAsync("api/runbooks/no-such-runbook")).Problem(404);
        await (await _viewer.GetAsync("api/runbooks/rb-crud?version=9")).Problem(404);
        await (await _viewer.GetAsync("api/runbooks/no-such-runbook/versions")).Problem(404);

        var mismatch = await (await _operator.PutAsync("api/runbooks/other-id", Http.Json(TestRunbooks.Switchover("rb-crud")))).Problem(400);
        Assert.Contains("other-id", mismatch.FieldErrors("id")[0]);

        var valid = await _viewer.PostAsync("api/runbooks/validate", Http.Json(TestRunbooks.ForkJoin("not-saved")));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.True((await valid.Body())["valid"]!.GetValue<bool>());
        await (await _viewer.GetAsync("api/runbooks/not-saved")).Problem(404);
    }

    [Fact]
    public async Task Invalid_runbooks_are_refused_with_the_node_and_field()
    {
        var invalid = await (await _operator.PostAsync("api/runbooks", Http.Json(TestRunbooks.MissingPrompt()))).Problem(400);
        Assert.Contains("prompt", invalid.FieldErrors("nodes.approve.inputs.prompt")[0]);
        var validated = await (await _viewer.PostAsync("api/runbooks/validate", Http.Json(TestRunbooks.MissingPrompt()))).Problem(400);
        Assert.NotEmpty(validated.FieldErrors("nodes.approve.inputs.prompt"));

        var malformed = await (await _viewer.PostAsync("api/runbooks/validate", Http.Json("{\"id\": \"x\",\n \"nodes\": [ }"))).Problem(400);
        var message = malformed["errors"]!.AsObject().Single().Value![0]!.GetValue<string>();
        Assert.Contains("line 2", message);

        await (await _operator.PostAsync("api/runbooks", Http.Json(""))).Problem(400);
    }

    [Fact]
    public async Task Saving_and_starting_need_operator()
    {
        await (await _viewer.PostAsync("api/runbooks", Http.Json(TestRunbooks.Switchover("viewer-tries")))).Problem(403);
        await SaveAsync(TestRunbooks.Switchover("role-check"));
        var refused = await (await _viewer.PostAsync("api/runs", Http.Json(new { runbook = "role-check" }))).Problem(403);
        Assert.Contains("operator", refused["detail"]!.GetValue<string>());
        Assert.Empty((await (await _viewer.GetAsync("api/runs?runbook=role-check")).Body()).AsArray());
    }

    [Fact]
    public async Task Clusters_are_imported_listed_shown_and_exported()
    {
        var json = TestRunbooks.Cluster(server.Directory, "api-cluster");
        var imported = await _operator.PostAsync("api/clusters", Http.Json(json));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _operator.PostAsync("api/clusters", Http.Json(json))).StatusCode);
        await (await _viewer.PostAsync("api/clusters", Http.Json(json))).Problem(403);

        var list = (await (await _viewer.GetAsync("api/clusters")).Body()).AsArray();
        Assert.Equal("pg1", list.Single(c => c!["id"]!.GetValue<string>() == "api-cluster")!["roles"]!["master"]!.GetValue<string>());
        var shown = await (await _viewer.GetAsync("api/clusters/api-cluster")).Body();
        Assert.Equal(3, shown["hosts"]!.AsArray().Count);
        var exported = await _viewer.GetAsync("api/clusters/api-cluster/export");
        Assert.Equal("application/json", exported.Content.Headers.ContentType?.MediaType);
        Assert.Equal("api-cluster", JsonNode.Parse(await exported.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());

        await (await _viewer.GetAsync("api/clusters/nowhere")).Problem(404);
        await (await _viewer.GetAsync("api/clusters/nowhere/export")).Problem(404);
        var invalid = await (await _operator.PostAsync("api/clusters", Http.Json(json.Replace("\"slave\":\"pg2\",", "")))).Problem(400);
        Assert.NotEmpty(invalid.FieldErrors("roles.slave"));
    }

    [Fact]
    public async Task Starting_a_run_reports_bad_requests_by_field()
    {
        await SaveAsync(TestRunbooks.Switchover("start-errors"));

        var inputs = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "start-errors", inputs = new { maxLagBytes = "lots" } }))).Problem(400);
        Assert.Contains("integer", inputs.FieldErrors("inputs.maxLagBytes")[0]);
        var unknownInput = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "start-errors", inputs = new { colour = 1 } }))).Problem(400);
        Assert.NotEmpty(unknownInput.FieldErrors("inputs.colour"));

        var runbook = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "no-such-runbook" }))).Problem(404);
        Assert.NotEmpty(runbook.FieldErrors("runbook"));
        var cluster = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "start-errors", cluster = "nowhere" }))).Problem(404);
        Assert.Contains("nowhere", cluster.FieldErrors("cluster")[0]);
        var missing = await (await _operator.PostAsync("api/runs", Http.Json(new { inputs = new { } }))).Problem(400);
        Assert.NotEmpty(missing.FieldErrors("runbook"));

        var malformed = await (await _operator.PostAsync("api/runs", Http.Json("{\"runbook\": \"start-errors\",\n  \"inputs\": {\"maxLagBytes\": 1,}}"))).Problem(400);
        Assert.Contains("line 2", malformed["detail"]!.GetValue<string>());
        var wrongType = await (await _operator.PostAsync("api/runs", Http.Json("{\"runbook\": 42}"))).Problem(400);
        Assert.Contains("runbook", wrongType["detail"]!.GetValue<string>());

        await (await _viewer.GetAsync("api/runs/run-doesnotexist")).Problem(404);
        await (await _operator.PostAsync("api/runs/run-doesnotexist/cancel", null)).Problem(404);
        await (await _viewer.GetAsync("api/runs?limit=0")).Problem(400);
    }

    [Fact]
    public async Task An_approval_over_http_resumes_the_paused_run()
    {
        await SaveAsync(TestRunbooks.Switchover("approve-flow"));
        var runId = await _operator.StartRunAsync(new { runbook = "approve-flow", inputs = new { maxLagBytes = 16 } });
        var waiting = await _viewer.WaitForRunAsync(runId, Http.Waiting);
        Assert.Equal("Waiting", waiting["nodes"]!.AsArray().Single(n => n!["nodeId"]!.GetValue<string>() == "approve")!["state"]!.GetValue<string>());

        var open = (await (await _viewer.GetAsync("api/approvals")).Body()).AsArray();
        Assert.Contains(open, a => a!["runId"]!.GetValue<string>() == runId && a["nodeId"]!.GetValue<string>() == "approve");

        var operatorTry = await (await _operator.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve" }))).Problem(403);
        Assert.Contains("approver", operatorTry["detail"]!.GetValue<string>());
        var unknownNode = await (await _approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "nowhere", decision = "approve" }))).Problem(404);
        Assert.NotEmpty(unknownNode.FieldErrors("node"));
        var badDecision = await (await _approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "maybe" }))).Problem(400);
        Assert.NotEmpty(badDecision.FieldErrors("decision"));
        await (await _approver.PostAsync("api/runs/run-doesnotexist/approvals", Http.Json(new { node = "approve", decision = "approve" }))).Problem(404);

        var decided = await _approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "lag is fine" }));
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        Assert.Equal("approver-key", (await decided.Body())["decidedBy"]!.GetValue<string>());

        var done = await _viewer.WaitForRunAsync(runId, Http.Ended);
        Assert.Equal("Completed", Http.Status(done));
        Assert.Equal("operator-key", done["run"]!["startedBy"]!.GetValue<string>());
        Assert.Equal("lag is fine", done["approvals"]![0]!["comment"]!.GetValue<string>());
        Assert.Equal(["preflight", "approve", "switch", "verify"],
            done["journal"]!.AsArray().Where(j => j!["status"]!.GetValue<string>() == "Succeeded").Select(j => j!["nodeId"]!.GetValue<string>()));
        Assert.Contains("lag limit 16", done["journal"]![0]!["log"]!.GetValue<string>());

        var again = await (await server.Client("approver2").PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "reject" }))).Problem(409);
        Assert.Contains("already decided", again["detail"]!.GetValue<string>());
        await (await _operator.PostAsync($"api/runs/{runId}/cancel", null)).Problem(409);

        // Every start and decision is in the audit trail with the principal.
        var log = server.LogText();
        Assert.Contains(log.Split('\n'), l => l.Contains("\"Action\":\"StartRun\"") && l.Contains("\"Principal\":\"operator-key\"") && l.Contains(runId));
        Assert.Contains(log.Split('\n'), l => l.Contains("\"Action\":\"Approve\"") && l.Contains("\"Principal\":\"approver-key\"") && l.Contains(runId) && l.Contains("\"NodeId\":\"approve\""));
        foreach (var key in server.Keys.Values) Assert.DoesNotContain(key, log);
    }

    [Fact]
    public async Task The_approver_may_not_approve_a_run_he_started()
    {
        await SaveAsync(TestRunbooks.Switchover("four-eyes"));
        var runId = await _approver.StartRunAsync(new { runbook = "four-eyes" });
        await _viewer.WaitForRunAsync(runId, Http.Waiting);
        var refused = await (await _approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve" }))).Problem(403);
        Assert.Contains("second person", refused["detail"]!.GetValue<string>());

        using var second = server.Client("approver2");
        Assert.Equal(HttpStatusCode.OK, (await second.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "reject", comment = "not now" }))).StatusCode);
        var done = await _viewer.WaitForRunAsync(runId, Http.Ended);
        Assert.Equal("Failed", Http.Status(done));
        Assert.Contains("rejected", done["run"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Runs_are_listed_with_filters_and_cancelled()
    {
        await SaveAsync(TestRunbooks.Switchover("to-cancel"));
        var runId = await _operator.StartRunAsync(new { runbook = "to-cancel" });
        await _viewer.WaitForRunAsync(runId, Http.Waiting);

        var running = (await (await _viewer.GetAsync("api/runs?status=Running&runbook=to-cancel")).Body()).AsArray();
        Assert.Equal(runId, running.Single()!["runId"]!.GetValue<string>());
        Assert.True(running.Single()!["waitingForApproval"]!.GetValue<bool>());
        Assert.Empty((await (await _viewer.GetAsync("api/runs?runbook=to-cancel&cluster=elsewhere")).Body()).AsArray());
        Assert.Single((await (await _viewer.GetAsync("api/runs?limit=1")).Body()).AsArray());

        await (await _viewer.PostAsync($"api/runs/{runId}/cancel", null)).Problem(403);
        Assert.Equal(HttpStatusCode.OK, (await _operator.PostAsync($"api/runs/{runId}/cancel", null)).StatusCode);
        var done = await _viewer.WaitForRunAsync(runId, Http.Ended);
        Assert.Equal("Cancelled", Http.Status(done));
        Assert.Single((await (await _viewer.GetAsync("api/runs?status=Cancelled&runbook=to-cancel")).Body()).AsArray());
    }

    [Fact]
    public async Task A_run_naming_a_host_the_cluster_lacks_is_refused_at_start_by_node_and_field()
    {
        Assert.Equal(HttpStatusCode.Created, (await _operator.PostAsync("api/clusters", Http.Json(TestRunbooks.Cluster(server.Directory, "fit-cluster")))).StatusCode);
        await SaveAsync("""
            { "id": "unfit-hosts", "version": 1, "name": "installs on a host the cluster lacks", "start": "install",
              "nodes": [ { "id": "install", "activity": "InstallPackage", "inputs": { "hosts": ["master", "pg9"], "packages": ["rsync"] } } ],
              "connections": [] }
            """);

        var unfit = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "unfit-hosts", cluster = "fit-cluster", dryRun = true }))).Problem(400);

        Assert.Equal("The runbook does not fit the cluster", unfit["title"]!.GetValue<string>());
        Assert.StartsWith("'pg9' is neither a role (master, slave, replica) nor a host (pg1, pg2, pg3)", unfit.FieldErrors("nodes.install.inputs.hosts")[0]);
    }

    [Fact]
    public async Task A_run_can_target_an_imported_cluster_and_a_second_one_is_refused_while_it_runs()
    {
        Assert.Equal(HttpStatusCode.Created, (await _operator.PostAsync("api/clusters", Http.Json(TestRunbooks.Cluster(server.Directory, "busy-cluster")))).StatusCode);
        await SaveAsync(TestRunbooks.Switchover("on-cluster"));
        var runId = await _operator.StartRunAsync(new { runbook = "on-cluster", cluster = "busy-cluster" });
        var busy = await (await _operator.PostAsync("api/runs", Http.Json(new { runbook = "on-cluster", cluster = "busy-cluster" }))).Problem(409);
        Assert.Contains(runId, busy["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await _operator.PostAsync($"api/runs/{runId}/cancel", null)).StatusCode);
        await _viewer.WaitForRunAsync(runId, Http.Ended);
    }

    [Fact]
    public async Task Secret_values_never_appear_in_responses()
    {
        Environment.SetEnvironmentVariable("PGHA_SECRET_API_TEST_TOKEN", "s3cr3t-value-of-the-test");
        await SaveAsync(TestRunbooks.Build("leaky", 1, new JsonObject(),
            [new JsonObject { ["id"] = "say", ["activity"] = "Log", ["inputs"] = new JsonObject { ["message"] = "token is ${secrets.api-test-token}" } }], []));
        var runId = await _operator.StartRunAsync(new { runbook = "leaky" });
        var done = await _viewer.WaitForRunAsync(runId, Http.Ended);
        var text = done.ToJsonString();
        Assert.Equal("Completed", Http.Status(done));
        Assert.DoesNotContain("s3cr3t-value-of-the-test", text);
        Assert.Contains("token is ***", text);
    }

    [Fact]
    public async Task The_operator_page_lists_runbooks_and_runs_after_signing_in()
    {
        await SaveAsync(TestRunbooks.Switchover("page-shows"));
        var runId = await _operator.StartRunAsync(new { runbook = "page-shows" });
        var handler = new HttpClientHandler { UseCookies = true, AllowAutoRedirect = true };
        using var browser = new HttpClient(handler) { BaseAddress = server.BaseAddress };

        var signIn = await browser.GetStringAsync("/");
        Assert.Contains("<form method=\"post\" action=\"/login\">", signIn);
        Assert.DoesNotContain("page-shows", signIn);

        var wrong = await browser.PostAsync("/login", new FormUrlEncodedContent([new("key", "pgha_wrong")]));
        Assert.Contains("not known", await wrong.Content.ReadAsStringAsync());

        var page = await (await browser.PostAsync("/login", new FormUrlEncodedContent([new("key", server.Keys["viewer"])]))).Content.ReadAsStringAsync();
        Assert.Contains("page-shows", page);
        Assert.Contains(runId, page);
        Assert.Contains("viewer-key", page);
        // The cookie opens pages, never the API.
        await (await browser.GetAsync("api/runs")).Problem(401);
    }
}
