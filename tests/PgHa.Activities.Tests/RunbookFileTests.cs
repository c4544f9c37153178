using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows;
using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;

namespace PgHa.Activities.Tests;

public sealed class RunbookFileTests
{
    /// <summary>Every runbook in workflows/, so a new one is checked without being listed here.</summary>
    public static TheoryData<string> Runbooks => new(Directory.EnumerateFiles(WorkflowsDirectory(), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal));

    internal static string WorkflowsDirectory() => LabDeploymentFixture.WorkflowsDirectory();

    [Theory]
    [MemberData(nameof(Runbooks))]
    public void Runbook_validates_against_the_engine_with_these_activities(string id)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRunbookEngine(Path.Combine(Path.GetTempPath(), $"pgha-validate-{Guid.NewGuid():N}.db"));
        services.AddPostgresHaActivities();
        using var provider = services.BuildServiceProvider();
        var json = File.ReadAllText(Path.Combine(WorkflowsDirectory(), id + ".json"));
        var parsed = RunbookJson.Parse(json);
        Assert.Empty(parsed.Errors);
        Assert.Equal(id, parsed.Definition!.Id);
        var errors = new RunbookValidator(provider.GetRequiredService<PgHa.Workflows.Activities.ActivityCatalog>()).Validate(parsed.Definition);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [MemberData(nameof(Runbooks))]
    public void Every_script_a_runbook_names_exists_and_is_syntactically_valid_bash(string id)
    {
        var parsed = RunbookJson.Parse(File.ReadAllText(Path.Combine(WorkflowsDirectory(), id + ".json"))).Definition!;
        var scripts = new ScriptOptions().ResolveScriptsDirectory();
        foreach (var node in parsed.Nodes.Where(n => n.Activity == "RunRemoteScript"))
        {
            var file = Path.Combine(scripts, node.Inputs["script"].GetString()!);
            Assert.True(File.Exists(file), $"{node.Id}: {file} is missing");
        }
    }

    [Fact]
    public void Every_host_script_is_syntactically_valid_bash()
    {
        foreach (var file in Directory.EnumerateFiles(new ScriptOptions().ResolveScriptsDirectory(), "*.sh"))
        {
            using var bash = System.Diagnostics.Process.Start("bash", ["-n", file])!;
            bash.WaitForExit();
            Assert.True(bash.ExitCode == 0, $"bash -n {file} failed");
        }
    }
}
