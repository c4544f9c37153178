using Microsoft.Extensions.Logging;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

/// <summary>
/// Adds writes to the checkpoint transaction of <see cref="EfCorePersistenceProvider.PersistWorkflow(WorkflowInstance, CancellationToken)"/>
/// (journal, run, approval rows), so they commit or roll back together with WorkflowCore's state.
/// </summary>
/// <remarks>
/// Called once per PersistWorkflow (both overloads) inside the checkpoint's transaction, before the instance's own
/// rows are written. A contributor may run statements on <see cref="CheckpointScope.Db"/> (they join the transaction,
/// e.g. a <see cref="RowStatement{T}"/>) or stage entities there (saved by one SaveChanges before the commit). The
/// instance's changes are not in the change tracker; compare against <see cref="CheckpointScope.Instance"/>.
/// Throwing aborts the whole checkpoint. Work that must follow the commit goes to <see cref="CheckpointScope.AfterCommit"/>.
/// Contributors are resolved once (the provider is a singleton), so register them as singletons. On SQLite the
/// transaction holds the database's write lock: keep reads here few and short.
/// </remarks>
public interface ICheckpointContributor
{
    ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// The checkpoint of <paramref name="instance"/> failed and nothing of it was committed (whether or not
    /// <see cref="ContributeAsync"/> was reached). Called outside any transaction; failures are logged, not thrown.
    /// </summary>
    ValueTask RolledBackAsync(WorkflowInstance instance, Exception error, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>One checkpoint as its contributors see it.</summary>
public sealed class CheckpointScope(PgHaDbContext db, WorkflowInstance instance)
{
    private List<Action>? _afterCommit;

    public PgHaDbContext Db { get; } = db;

    public WorkflowInstance Instance { get; } = instance;

    /// <summary>Runs <paramref name="action"/> once the checkpoint has committed; never if it fails.</summary>
    public void AfterCommit(Action action) => (_afterCommit ??= new()).Add(action);

    internal void Committed(ILogger logger)
    {
        if (_afterCommit is null) return;
        foreach (var action in _afterCommit)
        {
            // The checkpoint is durable by now: a failing follow-up must neither hide it nor stop the others.
            try { action(); }
            catch (Exception e) { logger.LogError(e, "An after-commit action of instance {InstanceId} failed", Instance.Id); }
        }
    }
}
