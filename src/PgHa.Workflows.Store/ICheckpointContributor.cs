using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

/// <summary>
/// Adds rows to the checkpoint transaction of <see cref="EfCorePersistenceProvider.PersistWorkflow(WorkflowInstance, CancellationToken)"/>
/// (journal, run, approval rows), so they commit or roll back together with WorkflowCore's state.
/// </summary>
/// <remarks>
/// Called once per PersistWorkflow (both overloads) after the instance has been copied onto the tracked rows and
/// just before the single SaveChanges. The change tracker therefore shows the diff: stored pointer rows are
/// Modified/Unchanged with OriginalValues = last checkpoint, new pointers are Added. Do not call SaveChanges;
/// throwing aborts the whole checkpoint. Contributors are resolved once (the provider is a singleton), so
/// register them as singletons. Queries made here run on the same connection; keep them few.
/// </remarks>
public interface ICheckpointContributor
{
    void Contribute(PgHaDbContext db, WorkflowInstance instance);
}
