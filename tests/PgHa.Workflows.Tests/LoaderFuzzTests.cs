using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

/// <summary>Random and mutated runbook JSON must only ever produce errors, never an exception.</summary>
public sealed class LoaderFuzzTests
{
    private static readonly string Valid = Json("fuzz",
        [Rec("a"), ("pick", "Choose", new { outcome = "Left" }), ("f", "Fork", null), Rec("b1"), Rec("b2"), ("j", "Join", null),
         ("approve", "WaitForApproval", new { prompt = "ok ${inputs.x}?", expiresAfterSeconds = 30 }), Rec("z")],
        ["a -Done-> pick", "pick -Left-> f", "pick -Right-> z", "f -Done-> b1", "f -Done-> b2", "b1 -Done-> j", "b2 -Done-> j",
         "j -Done-> approve", "approve -Approved-> z"],
        runInputs: new { x = new { type = "string", @default = "y" } });

    private static readonly string[] Fragments =
        ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1e400", "\"\\u0000\"", "\"${\"", "\"${nodes..}\"", "{}", "[]", "\"Fork\"", "\"Join\""];

    private static void MustNotThrow(string json)
    {
        var parsed = RunbookJson.Parse(json);
        if (parsed.Definition is not null) new RunbookValidator(ValidationTests.Catalog).Validate(parsed.Definition);
    }

    [Fact]
    public void The_valid_seed_is_valid()
    {
        var parsed = RunbookJson.Parse(Valid);
        Assert.Empty(parsed.Errors);
        Assert.Empty(new RunbookValidator(ValidationTests.Catalog).Validate(parsed.Definition!));
    }

    [Fact]
    public void Random_text_never_crashes_the_loader() =>
        Gen.String.Sample(MustNotThrow, iter: 2000);

    [Fact]
    public void Byte_level_mutations_of_a_valid_runbook_never_crash_the_loader() =>
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Int[0, Fragments.Length - 1], Gen.Int[0, 3]).Sample(t =>
        {
            var (at, fragment, kind) = t;
            var mutated = kind switch
            {
                0 => Valid.Remove(at, Math.Min(5, Valid.Length - at)),
                1 => Valid.Insert(at, Fragments[fragment]),
                2 => Valid[..at] + Fragments[fragment] + Valid[Math.Min(Valid.Length, at + 3)..],
                _ => Valid[..at],
            };
            MustNotThrow(mutated);
        }, iter: 3000);

    [Fact]
    public void Structural_mutations_of_a_valid_runbook_never_crash_the_validator()
    {
        var values = new JsonNode?[] { null, 0, -5, "", "a", "Fork", "Join", "Done", true, new JsonArray(), new JsonObject() };
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, values.Length - 1], Gen.Bool).Sample(t =>
        {
            var (pick, value, remove) = t;
            var root = JsonNode.Parse(Valid)!;
            var all = Flatten(root).ToList();
            var (parent, key) = all[pick % all.Count];
            if (remove && parent is JsonObject o) o.Remove(key!);
            else if (remove && parent is JsonArray a && a.Count > 0) a.RemoveAt(int.Parse(key!) % a.Count);
            else if (parent is JsonObject o2) o2[key!] = values[value]?.DeepClone();
            else if (parent is JsonArray a2 && a2.Count > 0) a2[int.Parse(key!) % a2.Count] = values[value]?.DeepClone();
            MustNotThrow(root.ToJsonString());
        }, iter: 3000);
    }

    private static IEnumerable<(JsonNode Parent, string? Key)> Flatten(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.ToList())
                {
                    yield return (o, k);
                    if (v is not null) foreach (var x in Flatten(v)) yield return x;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return (a, i.ToString());
                    if (a[i] is { } v) foreach (var x in Flatten(v)) yield return x;
                }
                break;
        }
    }

    [Fact]
    public void Deeply_nested_input_is_reported_not_crashed()
    {
        var deep = new StringBuilder().Append('[', 5000).Append(']', 5000).ToString();
        Assert.NotEmpty(RunbookJson.Parse(deep).Errors);
    }
}
