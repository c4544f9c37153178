using PgHa.Workflows.Model;
using PgHa.Workflows.Validation;

namespace PgHa.Activities.Scripts;

/// <summary>
/// At validation and save: a RunRemoteScript node's literal <c>script</c> must be a plain name of a script in
/// workflows/scripts (no path such as <c>../../bin/true</c>), and its <c>user</c> deploy or admin.
/// </summary>
public sealed class RunRemoteScriptInputCheck(ScriptOptions options) : INodeInputCheck
{
    public string Activity => "RunRemoteScript";

    public IEnumerable<RunbookError> Check(RunbookNode node)
    {
        if (Literal(node, "script") is { } script)
        {
            string? problem;
            try { problem = ScriptDeployment.ScriptProblem(script, options.ResolveScriptsDirectory()); }
            catch (DirectoryNotFoundException e) { problem = e.Message; }
            if (problem is not null) yield return new RunbookError(node.Id, "inputs.script", problem);
        }
        if (Literal(node, "user") is { } user && AccountProblem(user) is { } wrong)
            yield return new RunbookError(node.Id, "inputs.user", wrong);
    }

    private static string? AccountProblem(string user)
    {
        try { RunRemoteScript.ParseAccount(user); return null; }
        catch (ActivityInputException e) { return e.Message; }
    }

    private static string? Literal(RunbookNode node, string field) =>
        node.Inputs.TryGetValue(field, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String
        && value.GetString() is { } text && !text.Contains("${", StringComparison.Ordinal) ? text : null;
}
