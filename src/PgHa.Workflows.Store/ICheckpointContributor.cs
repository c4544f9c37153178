using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

/// <summary>
/// Adds rows to the checkpoint transaction of <see cref="EfCorePersistenceProvider.PersistWorkflow(WorkflowInstance, CancellationToken)"/>
/// (journal, run, approval rows), so they commit or roll back together with WorkflowCore's state.
/// </summary>
/// <remarks>
/// Called once per PersistWorkflow (both overloads) after the instance's changes have been staged and just before
/// the single SaveChanges. The change tracker holds only what this checkpoint writes: the Workflow row (Modified),
/// pointers whose stored fields changed (Modified, OriginalValues = last checkpoint), new pointers (Added) and
/// attribute rows; unchanged pointers are not tracked (compare against the <c>instance</c> argument instead).
/// Do not call SaveChanges; throwing aborts the whole checkpoint. A handler on <c>db.SavedChanges</c> runs only
/// after the commit (contexts are pooled; EF clears such handlers when the context is returned). Contributors are
/// resolved once (the provider is a singleton), so register them as singletons. Queries made here run on the same
/// connection before the write transaction starts; keep them few.
/// </remarks>
public interface ICheckpointContributor
{
    void Contribute(PgHaDbContext db, WorkflowInstance instance);
}
