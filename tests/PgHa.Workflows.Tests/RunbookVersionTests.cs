using System.Text.Json.Nodes;
using PgHa.Workflows.Store.Entities;
using PgHa.Workflows.Validation;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class RunbookVersionTests : IAsyncLifetime
{
    private EngineHarness _engine = null!;

    public async Task InitializeAsync() => _engine = await EngineHarness.StartAsync();

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task An_invalid_new_version_is_rejected_and_the_previous_version_stays_usable()
    {
        await _engine.SaveAsync(Json("keep", [Rec("a"), Rec("b")], ["a -Done-> b"]));
        var broken = JsonNode.Parse(Json("keep", [Rec("a"), ("b", "Teleport", null)], ["a -Done-> b"]))!;

        var refused = await Assert.ThrowsAsync<RunbookValidationException>(() =>
            _engine.Runtime.Runbooks.SaveAsync(broken.ToJsonString(), "test", asNextVersion: true));

        Assert.Contains(refused.Errors, e => e.NodeId == "b" && e.Field == "activity");
        Assert.Equal([1], (await _engine.Runtime.Runbooks.ListVersionsAsync("keep")).Select(v => v.Version));
        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("keep")).Run.RunId);
        Assert.Equal(RunStatus.Completed, run.Run.Status);
    }

    [Fact]
    public async Task A_saved_version_never_changes()
    {
        await _engine.SaveAsync(Json("frozen", [Rec("a")], []));

        var refused = await Assert.ThrowsAsync<RunbookValidationException>(() =>
            _engine.SaveAsync(Json("frozen", [Rec("a"), Rec("b")], ["a -Done-> b"])));

        Assert.Contains("already exists with different content", Assert.Single(refused.Errors).Message);
        Assert.Single((await _engine.Runtime.Runbooks.GetAsync("frozen", 1))!.Definition.Nodes);
    }

    [Fact]
    public async Task Saving_as_next_version_keeps_older_versions_runnable()
    {
        await _engine.SaveAsync(Json("evolve", [Rec("v1")], []));
        var saved = await _engine.Runtime.Runbooks.SaveAsync(Json("evolve", [Rec("v2")], []), "test", asNextVersion: true);

        Assert.Equal(2, saved.Definition.Version);
        var old = await _engine.Runtime.StartRunAsync(new() { RunbookId = "evolve", Version = 1, StartedBy = "t" });
        await _engine.WaitForEndAsync(old.Run.RunId);
        var latest = await _engine.StartAsync("evolve");
        await _engine.WaitForEndAsync(latest.Run.RunId);
        Assert.Equal(["v1", "v2"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task Bad_run_inputs_name_the_field()
    {
        await _engine.SaveAsync(Json("typed", [Rec("a")], [], runInputs: new { maxLagBytes = new { type = "integer", required = true } }));

        var refused = await Assert.ThrowsAsync<PgHa.Workflows.Runtime.RunInputException>(() => _engine.StartAsync("typed", new { maxLagBytes = "lots", colour = 1 }));

        Assert.Contains(refused.Errors, e => e.Field == "inputs.maxLagBytes" && e.Message.Contains("expected integer"));
        Assert.Contains(refused.Errors, e => e.Field == "inputs.colour" && e.Message.Contains("no input 'colour'"));
    }
}
