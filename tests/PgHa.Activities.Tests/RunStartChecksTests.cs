using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Validation;

namespace PgHa.Activities.Tests;

/// <summary>What would fail when a node runs is refused earlier: at validation (scripts) or at run start (the cluster).</summary>
public sealed class RunStartChecksTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-run-start-").FullName;
    private ServiceProvider _services = null!;
    private RunbookRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRunbookEngine(Path.Combine(_directory, "pgha.db"), o => o.SecretsFile = SecretsFile());
        services.AddPostgresHaActivities();
        _services = services.BuildServiceProvider();
        _runtime = _services.GetRequiredService<RunbookRuntime>();
        await _runtime.StartAsync(CancellationToken.None);
        await _services.GetRequiredService<ClusterDirectory>().ImportAsync(Cluster(), "test");
    }

    public async Task DisposeAsync()
    {
        await _runtime.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static string ScriptNode(string script) => $$"""
        { "id": "scripted", "version": 1, "name": "scripted", "start": "run",
          "nodes": [ { "id": "run", "activity": "RunRemoteScript", "inputs": { "hosts": ["master"], "script": "{{script}}" } } ], "connections": [] }
        """;

    private IReadOnlyList<RunbookError> Validate(string json) =>
        new RunbookValidator(_services.GetRequiredService<ActivityCatalog>()).Validate(RunbookJson.Parse(json).Definition!);

    [Theory]
    [InlineData("../../../../bin/true", "must be a plain *.sh file name")]
    [InlineData(".hidden.sh", "must be a plain *.sh file name")]
    [InlineData("no_such_script.sh", "does not exist in")]
    public void A_script_that_is_not_in_workflows_scripts_is_refused_when_the_runbook_is_validated(string script, string problem)
    {
        var error = Assert.Single(Validate(ScriptNode(script)));

        Assert.Equal(("run", "inputs.script"), (error.NodeId, error.Field));
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_script_from_workflows_scripts_validates() => Assert.Empty(Validate(ScriptNode("setup_master.sh")));

    [Fact]
    public async Task Saving_a_runbook_with_a_path_as_script_is_refused()
    {
        var e = await Assert.ThrowsAsync<RunbookValidationException>(() => _runtime.Runbooks.SaveAsync(ScriptNode("../../../../bin/true"), "test", asNextVersion: false));
        Assert.Contains(e.Errors, x => x is { NodeId: "run", Field: "inputs.script" });
    }

    private const string UnfitRunbook = """
        { "id": "unfit", "version": 1, "name": "names what the cluster lacks", "start": "run",
          "nodes": [
            { "id": "run", "activity": "RunRemoteScript",
              "inputs": { "hosts": ["master", "pg9"], "script": "setup_master.sh",
                          "secrets": { "PGHA_APP_PASSWORD": "appPassword", "PGHA_REPLICATION_PASSWORD": "replicationPassword" } } },
            { "id": "ask", "activity": "WaitForApproval", "inputs": { "prompt": "go to ${hosts.pg9.address} with ${secrets.no-such-secret}?" } },
            { "id": "check", "activity": "CheckCluster", "inputs": { "expect": { "master": "primary", "witness": "up" } } } ],
          "connections": [ { "from": "run", "outcome": "Done", "to": "ask" }, { "from": "ask", "outcome": "Approved", "to": "check" } ] }
        """;

    [Fact]
    public async Task A_run_is_refused_at_start_naming_each_node_and_field_that_the_cluster_cannot_serve()
    {
        await _runtime.Runbooks.SaveAsync(UnfitRunbook, "test", asNextVersion: false, published: true);

        var e = await Assert.ThrowsAsync<ClusterFitException>(() =>
            _runtime.StartRunAsync(new StartRunRequest { RunbookId = "unfit", ClusterId = "fit", StartedBy = "test", DryRun = true }));

        var found = e.Errors.Select(x => $"{x.NodeId} {x.Field}: {x.Message}").ToList();
        Assert.Contains(found, x => x.StartsWith("run inputs.hosts: 'pg9' is neither a role", StringComparison.Ordinal));
        Assert.Contains(found, x => x.StartsWith("run inputs.secrets: cluster 'fit' names no secret for 'appPassword'", StringComparison.Ordinal));
        Assert.Contains(found, x => x.StartsWith("run inputs.secrets: secret 'fit-replication' (for 'replicationPassword' in cluster 'fit') is not defined", StringComparison.Ordinal));
        Assert.Contains(found, x => x.StartsWith("ask inputs.prompt: template ${hosts.pg9.address}: cluster 'fit' has no host 'pg9'", StringComparison.Ordinal));
        Assert.Contains(found, x => x.StartsWith("ask inputs.prompt: template ${secrets.no-such-secret}: secret 'no-such-secret' is not defined", StringComparison.Ordinal));
        Assert.Contains(found, x => x.StartsWith("check inputs.expect: 'witness' is neither a role", StringComparison.Ordinal));
        Assert.Equal(6, found.Count);
        Assert.Empty(await _runtime.ListRunsAsync(new RunFilter()));
    }

    private string SecretsFile()
    {
        var file = Path.Combine(_directory, "secrets.json");
        File.WriteAllText(file, "{}");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    private string Cluster()
    {
        var key = Path.Combine(_directory, "id_test");
        var knownHosts = Path.Combine(_directory, "known_hosts");
        File.WriteAllText(key, "not a real key; the inventory only needs the file to exist");
        File.WriteAllText(knownHosts, "");
        return new JsonObject
        {
            ["id"] = "fit", ["name"] = "cluster for run-start checks",
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
            ["secrets"] = new JsonObject { ["replicationPassword"] = "fit-replication" },
        }.ToJsonString();
    }
}
