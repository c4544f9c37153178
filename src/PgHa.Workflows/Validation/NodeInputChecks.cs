using PgHa.Workflows.Model;

namespace PgHa.Workflows.Validation;

/// <summary>
/// An activity's own check of a node's literal inputs, run when a runbook is validated or saved, for what the activity
/// would otherwise refuse only when the node runs (a script name that does not exist, say). Templates are not checked:
/// their values exist only at run time.
/// </summary>
public interface INodeInputCheck
{
    string Activity { get; }

    IEnumerable<RunbookError> Check(RunbookNode node);
}
