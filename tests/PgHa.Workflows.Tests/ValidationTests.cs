using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class ValidationTests
{
    internal static readonly ActivityCatalog Catalog = BuildCatalog();

    private static ActivityCatalog BuildCatalog()
    {
        var services = new ServiceCollection();
        services.AddRunbookEngine(Path.Combine(Path.GetTempPath(), "unused.db"));
        TestActivities.Register(services);
        return services.BuildServiceProvider().GetRequiredService<ActivityCatalog>();
    }

    private static IReadOnlyList<RunbookError> Validate(string json)
    {
        var parsed = RunbookJson.Parse(json);
        return parsed.Definition is null ? parsed.Errors : new RunbookValidator(Catalog).Validate(parsed.Definition);
    }

    private static RunbookError Single(IReadOnlyList<RunbookError> errors, string? node, string field)
    {
        var match = errors.Where(e => e.NodeId == node && e.Field == field).ToList();
        Assert.True(match.Count == 1, $"expected one error at node {node}, field {field}; got:\n{string.Join("\n", errors)}");
        return match[0];
    }

    [Fact]
    public void A_sound_runbook_has_no_errors() =>
        Assert.Empty(Validate(Json("ok", [Rec("a"), Rec("b")], ["a -Done-> b"])));

    [Fact]
    public void Unknown_activity_is_named_with_the_known_ones()
    {
        var e = Single(Validate(Json("x", [Rec("a"), ("b", "Teleport", null)], ["a -Done-> b"])), "b", "activity");
        Assert.Contains("unknown activity 'Teleport'", e.Message);
        Assert.Contains("WaitForApproval", e.Message);
    }

    [Fact]
    public void Unknown_outcome_lists_the_outcomes_of_the_activity()
    {
        var e = Single(Validate(Json("x", [Rec("a"), Rec("b")], ["a -Approved-> b"])), "a", "connections[0].outcome");
        Assert.Contains("unknown outcome 'Approved'", e.Message);
        Assert.Contains("Done, Failed", e.Message);
    }

    [Fact]
    public void Missing_required_input_is_reported_on_its_field() =>
        Assert.Contains("requires input 'name'", Single(Validate(Json("x", [("a", "Record", new { holdMilliseconds = 1 })], [])), "a", "inputs.name").Message);

    [Fact]
    public void Input_of_the_wrong_type_says_what_was_expected() =>
        Assert.Contains("expected integer but got a string",
            Single(Validate(Json("x", [("a", "Record", new { name = "a", holdMilliseconds = "soon" })], [])), "a", "inputs.holdMilliseconds").Message);

    [Fact]
    public void A_template_is_accepted_for_a_typed_input() =>
        Assert.Empty(Validate(Json("x", [("a", "Record", new { name = "a", holdMilliseconds = "${inputs.hold}" })], [],
            runInputs: new { hold = new { type = "integer", @default = 5 } })));

    [Fact]
    public void Unknown_input_name_is_reported() =>
        Assert.Contains("has no input 'colour'", Single(Validate(Json("x", [("a", "Record", new { name = "a", colour = "red" })], [])), "a", "inputs.colour").Message);

    [Fact]
    public void Template_to_an_undeclared_run_input_is_reported() =>
        Assert.Contains("does not declare", Single(Validate(Json("x", [("a", "Record", new { name = "${inputs.who}" })], [])), "a", "inputs.name").Message);

    [Fact]
    public void Dangling_connection_names_the_missing_node() =>
        Assert.Contains("no node 'ghost'", Single(Validate(Json("x", [Rec("a")], ["a -Done-> ghost"])), "a", "connections[0].to").Message);

    [Fact]
    public void Unreachable_node_is_reported()
    {
        // c and d feed each other only from d's side: c is reached from d, d from nothing but the cycle-free island c->d is rooted at c.
        var errors = Validate(Json("x", [Rec("a"), Rec("b"), Rec("c"), Rec("d")], ["a -Done-> b", "c -Done-> d"]));
        Assert.Contains("unreachable node", Single(errors, "d", "connections").Message);
    }

    [Fact]
    public void More_than_one_start_is_reported() =>
        Assert.Contains("more than one start", Single(Validate(Json("x", [Rec("a"), Rec("b"), Rec("c")], ["a -Done-> b", "c -Done-> b"])), "c", "connections").Message);

    [Fact]
    public void A_cycle_is_reported_with_its_path()
    {
        var e = Single(Validate(Json("x", [Rec("a"), Rec("b"), Rec("c")], ["a -Done-> b", "b -Done-> c", "c -Done-> b"])), "b", "connections");
        Assert.Contains("cycle: b -> c -> b", e.Message);
    }

    [Fact]
    public void Duplicate_node_ids_are_reported() =>
        Assert.Contains("duplicate id", Single(Validate(Json("x", [Rec("a"), Rec("a")], [])), "a", "id").Message);

    [Fact]
    public void Fork_with_a_single_branch_is_not_well_structured() =>
        Assert.Contains("at least two outgoing", Single(Validate(Json("x", [("f", "Fork", null), Rec("a"), ("j", "Join", null)],
            ["f -Done-> a", "a -Done-> j"])), "f", "connections").Message);

    [Fact]
    public void Fork_branch_that_never_reaches_a_join_is_reported() =>
        Assert.Contains("never reaches a Join", Single(Validate(Json("x", [("f", "Fork", null), Rec("a"), Rec("b"), ("j", "Join", null)],
            ["f -Done-> a", "f -Done-> b", "a -Done-> j"])), "f", "connections").Message);

    [Fact]
    public void Node_shared_by_two_branches_is_reported() =>
        Assert.Contains("two branches", Single(Validate(Json("x", [("f", "Fork", null), Rec("a"), Rec("b"), Rec("shared"), ("j", "Join", null)],
            ["f -Done-> a", "f -Done-> b", "a -Done-> shared", "b -Done-> shared", "shared -Done-> j"])), "shared", "connections").Message);

    [Fact]
    public void A_fork_with_ten_thousand_branches_validates_in_linear_time()
    {
        const int branches = 10_000;
        var json = Json("wide", [("f", "Fork", null), .. Enumerable.Range(0, branches).Select(i => Rec($"b{i}")), ("j", "Join", null)],
            [.. Enumerable.Range(0, branches).SelectMany(i => new[] { $"f -Done-> b{i}", $"b{i} -Done-> j" })]);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(Validate(json));
        // Quadratic validation took 6.8 s at 10,000 branches; linear takes well under a second on an idle machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.Contains("two branches", Single(Validate(json.Replace("\"b1\",\"outcome\":\"Done\",\"to\":\"j\"", "\"b1\",\"outcome\":\"Done\",\"to\":\"b2\"")), "b2", "connections").Message);
    }

    [Fact]
    public void Jumping_into_a_fork_region_from_outside_is_reported()
    {
        var errors = Validate(Json("x", [Rec("s"), ("pick", "Choose", new { outcome = "Left" }), ("f", "Fork", null), Rec("a"), Rec("b"), ("j", "Join", null)],
            ["s -Done-> pick", "pick -Left-> f", "pick -Right-> a", "f -Done-> a", "f -Done-> b", "a -Done-> j", "b -Done-> j"]));
        Assert.Contains("from outside", Single(errors, "a", "connections").Message);
    }

    [Fact]
    public void Join_without_fork_is_reported() =>
        Assert.Contains("closes no Fork", Single(Validate(Json("x", [Rec("a"), ("j", "Join", null)], ["a -Done-> j"])), "j", "connections").Message);

    [Fact]
    public void Nested_fork_join_regions_are_accepted() =>
        Assert.Empty(Validate(Json("x",
            [("f", "Fork", null), ("g", "Fork", null), Rec("a1"), Rec("a2"), ("gj", "Join", null), Rec("b"), ("fj", "Join", null)],
            ["f -Done-> g", "f -Done-> b", "g -Done-> a1", "g -Done-> a2", "a1 -Done-> gj", "a2 -Done-> gj", "gj -Done-> fj", "b -Done-> fj"])));

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Validate(Json("x", [Rec("a"), ("b", "Teleport", null), ("c", "Record", new { name = 3 })], ["a -Done-> b", "a -Done-> c", "a -Nope-> c"]));
        Assert.True(errors.Count >= 3, string.Join("\n", errors));
    }

    [Fact]
    public void Malformed_json_reports_line_and_path_instead_of_throwing()
    {
        var errors = Validate("{ \"id\": \"x\", \"nodes\": [ { \"id\": 5 } ] }");
        var e = Assert.Single(errors);
        Assert.Contains("invalid runbook JSON", e.Message);
        Assert.Contains("nodes", e.Field);
    }

    [Fact]
    public void Unknown_top_level_field_is_reported() =>
        Assert.Contains("invalid runbook JSON", Assert.Single(Validate("{\"id\":\"x\",\"nodez\":[]}")).Message);

    [Fact]
    public void Catalog_describes_inputs_with_a_json_schema()
    {
        var record = Catalog.Find("Record")!;
        Assert.Equal("object", (string?)record.InputSchema["type"]);
        Assert.Equal("name recorded", (string?)record.InputSchema["properties"]!["name"]!["description"]);
        Assert.True(record.InputFields["name"].Required);
        Assert.False(record.InputFields["holdMilliseconds"].Required);
        Assert.Contains(Catalog.All, d => d.Name == "WaitForApproval" && d.Outcomes.Contains("TimedOut"));
    }

    [Fact]
    public void Version_must_be_positive()
    {
        var json = JsonNode.Parse(Json("x", [Rec("a")], []))!;
        json["version"] = 0;
        Single(Validate(json.ToJsonString()), null, "version");
    }
}
