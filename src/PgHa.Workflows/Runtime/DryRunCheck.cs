using PgHa.Workflows.Compilation;
using PgHa.Workflows.Validation;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// A dry run promises that nothing changes, so it is refused up front when any node's activity changes hosts without a
/// plan mode: trusting such an activity to behave would break the promise at the first host it touches.
/// </summary>
internal static class DryRunCheck
{
    public static void Check(CompiledRunbook runbook)
    {
        var errors = runbook.Definition.Nodes
            .Where(n => runbook.Nodes[n.Id].Activity.DryRunRefusal is not null)
            .Select(n => new RunbookError(n.Id, "activity", runbook.Nodes[n.Id].Activity.DryRunRefusal!))
            .ToList();
        if (errors.Count > 0) throw new DryRunRefusedException(errors);
    }
}
