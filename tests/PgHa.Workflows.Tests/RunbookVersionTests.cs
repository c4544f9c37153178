using System.Text.Json.Nodes;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;
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
    public async Task A_saved_version_is_a_draft_that_plain_starts_skip_until_a_second_principal_publishes_it()
    {
        await _engine.SaveAsync(Json("evolve", [Rec("v1")], []));
        var saved = await _engine.Runtime.Runbooks.SaveAsync(Json("evolve", [Rec("v2")], []), "Alice", asNextVersion: true);
        Assert.Equal(2, saved.Definition.Version);

        await _engine.WaitForEndAsync((await _engine.StartAsync("evolve")).Run.RunId);
        await Assert.ThrowsAsync<ForbiddenException>(() => _engine.Runtime.StartRunAsync(new() { RunbookId = "evolve", Version = 2, StartedBy = "t" }));
        var byAuthor = await Assert.ThrowsAsync<ForbiddenException>(() => _engine.Runtime.Runbooks.PublishAsync("evolve", 2, " alice"));
        Assert.Contains("second person", byAuthor.Message);
        var tried = await _engine.Runtime.StartRunAsync(new() { RunbookId = "evolve", Version = 2, StartedBy = "t", MayRunDrafts = true });
        await _engine.WaitForEndAsync(tried.Run.RunId);

        var published = await _engine.Runtime.Runbooks.PublishAsync("evolve", 2, "bob");
        Assert.Equal([("start", RunbookDiff.Changed), ("nodes.v1", RunbookDiff.Removed), ("nodes.v2", RunbookDiff.Added)],
            published.Diff.Changes.Select(c => (c.Path, c.Change)));
        Assert.Equal((1, 2), (published.Diff.From, published.Diff.To));
        await _engine.WaitForEndAsync((await _engine.StartAsync("evolve")).Run.RunId);
        var old = await _engine.Runtime.StartRunAsync(new() { RunbookId = "evolve", Version = 1, StartedBy = "t" });
        await _engine.WaitForEndAsync(old.Run.RunId);

        Assert.Equal(["v1", "v2", "v2", "v1"], _engine.Recorder.Executions);
        var versions = await _engine.Runtime.Runbooks.ListVersionsAsync("evolve");
        Assert.Equal(("Alice", "bob"), (versions[1].CreatedBy, versions[1].PublishedBy));
        await Assert.ThrowsAsync<ConflictException>(() => _engine.Runtime.Runbooks.PublishAsync("evolve", 2, "carol"));
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
