using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>The real pgha binary against a running server, as an operator would type it.</summary>
public sealed class CliTests(ServerHost server) : IClassFixture<ServerHost>
{
    private sealed record Result(int ExitCode, string Out, string Err);

    private async Task<Result> Pgha(string? role, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = server.Directory };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgha.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["PGHA_SERVER"] = server.BaseAddress.ToString();
        info.Environment.Remove("PGHA_API_KEY");
        if (role is not null) info.Environment["PGHA_API_KEY"] = server.Keys[role];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Pushes a runbook file as the operator and publishes it as the approver, as a team would.</summary>
    private async Task PushAndPublish(string name, string json)
    {
        var pushed = await Pgha("operator", "runbooks", "push", Write(name, json));
        Assert.True(pushed.ExitCode == 0, pushed.Err);
        var version = pushed.Out.Split(' ')[3];
        var published = await Pgha("approver", "runbooks", "publish", JsonNode.Parse(json)!["id"]!.GetValue<string>(), "--version", version);
        Assert.True(published.ExitCode == 0, published.Err);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(server.Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Runbooks_validate_push_list_and_show()
    {
        var valid = Write("cli-rb.json", TestRunbooks.Switchover("cli-rb"));
        var check = await Pgha("viewer", "runbooks", "validate", valid);
        Assert.True(check.ExitCode == 0, check.Err);
        Assert.Contains("valid", check.Out);

        var broken = await Pgha("viewer", "runbooks", "validate", Write("cli-broken.json", TestRunbooks.MissingPrompt()));
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("nodes.approve.inputs.prompt", broken.Err);

        Assert.Equal(1, (await Pgha("viewer", "runbooks", "push", valid)).ExitCode); // viewer may not save
        var pushed = await Pgha("operator", "runbooks", "push", valid);
        Assert.True(pushed.ExitCode == 0, pushed.Err);
        Assert.Contains("saved cli-rb version 1", pushed.Out);
        Assert.Contains("saved cli-rb version 2", (await Pgha("operator", "runbooks", "push", valid)).Out);
        Assert.Equal(1, (await Pgha("operator", "runbooks", "publish", "cli-rb", "--version", "1")).ExitCode); // operators do not publish
        var published = await Pgha("approver", "runbooks", "publish", "cli-rb", "--version", "1");
        Assert.True(published.ExitCode == 0, published.Err);
        Assert.Contains("added    nodes.approve", published.Out);
        Assert.Contains("published cli-rb version 1 by approver-key", published.Out);

        var list = await Pgha("viewer", "runbooks", "list");
        Assert.Contains(list.Out.Split('\n'), l => l.StartsWith("cli-rb ") && l.Contains(" 2 ") && l.Contains(" draft "));
        var shown = await Pgha("viewer", "runbooks", "show", "cli-rb", "--version", "1");
        Assert.Equal(1, JsonNode.Parse(shown.Out)!["version"]!.GetValue<int>());
        var missing = await Pgha("viewer", "runbooks", "show", "no-such");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404", missing.Err);
    }

    [Fact]
    public async Task Clusters_import_list_and_show()
    {
        var file = Write("cli-cluster.json", TestRunbooks.Cluster(server.Directory, "cli-cluster"));
        var imported = await Pgha("operator", "clusters", "import", file);
        Assert.True(imported.ExitCode == 0, imported.Err);
        Assert.Contains("imported cluster cli-cluster", imported.Out);
        Assert.Contains("master=pg1", (await Pgha("viewer", "clusters", "list")).Out);
        Assert.Equal("cli-cluster", JsonNode.Parse((await Pgha("viewer", "clusters", "show", "cli-cluster")).Out)!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_follow_waits_for_the_approval_and_exits_0_on_completion()
    {
        await PushAndPublish("cli-follow.json", TestRunbooks.Switchover("cli-follow"));
        var following = Pgha("operator", "run", "cli-follow", "--input", "maxLagBytes=42", "--follow");

        using var viewer = server.Client("viewer");
        string? runId = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (runId is null && DateTime.UtcNow < deadline)
        {
            var runs = (await (await viewer.GetAsync("api/runs?runbook=cli-follow")).Body()).AsArray();
            runId = runs.FirstOrDefault(r => r!["waitingForApproval"]!.GetValue<bool>())?["runId"]?.GetValue<string>();
            if (runId is null) await Task.Delay(200);
        }
        Assert.NotNull(runId);

        var approvals = await Pgha("viewer", "approvals", "list");
        Assert.Contains(runId, approvals.Out);
        Assert.Equal(1, (await Pgha("operator", "approve", runId, "approve", "--comment", "mine")).ExitCode); // operator cannot approve
        var approved = await Pgha("approver", "approve", runId, "approve", "--comment", "lag 0, go");
        Assert.True(approved.ExitCode == 0, approved.Err);

        var result = await following;
        Assert.True(result.ExitCode == 0, result.Out + result.Err);
        Assert.Contains($"started {runId}", result.Out);
        Assert.Contains("preflight | lag limit 42", result.Out);
        Assert.Contains("approve waits for approval", result.Out);
        Assert.Contains("switch: Succeeded", result.Out);
        Assert.Contains($"run {runId} Completed", result.Out);
        Assert.True(result.Out.IndexOf("switch: Running", StringComparison.Ordinal) < result.Out.IndexOf("verify: Running", StringComparison.Ordinal));

        var shown = await Pgha("viewer", "runs", "show", runId);
        Assert.Contains("status: Completed", shown.Out);
        Assert.Contains("Approved by approver-key: lag 0, go", shown.Out);
        Assert.Contains(runId, (await Pgha("viewer", "runs", "list", "--runbook", "cli-follow", "--status", "Completed")).Out);
    }

    [Fact]
    public async Task A_rejected_run_makes_follow_exit_non_zero_and_cancel_works()
    {
        await PushAndPublish("cli-reject.json", TestRunbooks.Switchover("cli-reject"));
        var started = await Pgha("operator", "run", "cli-reject");
        Assert.True(started.ExitCode == 0, started.Err);
        var runId = started.Out.Trim().Split(' ')[^1];
        using var viewer = server.Client("viewer");
        await viewer.WaitForRunAsync(runId, Http.Waiting);
        Assert.Equal(0, (await Pgha("approver", "approve", runId, "approve", "--reject", "--comment", "not today")).ExitCode);
        var followed = await Pgha("viewer", "runs", "follow", runId);
        Assert.Equal(1, followed.ExitCode);
        Assert.Contains("Failed", followed.Out);

        var second = (await Pgha("operator", "run", "cli-reject")).Out.Trim().Split(' ')[^1];
        await viewer.WaitForRunAsync(second, Http.Waiting);
        Assert.Equal(1, (await Pgha("viewer", "runs", "cancel", second)).ExitCode);
        Assert.Equal(0, (await Pgha("operator", "runs", "cancel", second)).ExitCode);
        Assert.Equal("Cancelled", Http.Status(await viewer.WaitForRunAsync(second, Http.Ended)));
    }

    [Fact]
    public async Task Bad_inputs_and_a_missing_key_are_reported_with_the_field()
    {
        await PushAndPublish("cli-inputs.json", TestRunbooks.Switchover("cli-inputs"));
        var bad = await Pgha("operator", "run", "cli-inputs", "--input", "maxLagBytes=lots");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("inputs.maxLagBytes", bad.Err);
        var noCluster = await Pgha("operator", "run", "cli-inputs", "--cluster", "nowhere");
        Assert.Contains("cluster: ", noCluster.Err);
        var anonymous = await Pgha(null, "runs", "list");
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("401", anonymous.Err);
    }

    [Fact]
    public async Task Keys_create_writes_a_key_the_running_server_accepts()
    {
        var created = await Pgha(null, "keys", "create", "--name", "carol", "--role", "viewer", "--database", server.DatabaseFile);
        Assert.True(created.ExitCode == 0, created.Err);
        var key = created.Out.Trim();
        Assert.StartsWith("pgha_", key);
        Assert.DoesNotContain(key, File.ReadAllText(Path.Combine(server.Directory, "api-keys.json")));

        using var carol = new HttpClient { BaseAddress = server.BaseAddress };
        carol.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await carol.GetAsync("api/runs")).StatusCode);
        Assert.Equal(1, (await Pgha(null, "keys", "create", "--name", "carol", "--role", "viewer", "--database", server.DatabaseFile)).ExitCode);
        Assert.Contains("carol", (await Pgha(null, "keys", "list", "--database", server.DatabaseFile)).Out);
    }
}
