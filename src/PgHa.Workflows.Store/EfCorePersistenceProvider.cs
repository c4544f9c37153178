using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

/// <summary>
/// WorkflowCore persistence on our EF Core model, with the semantics of WorkflowCore's own EF provider (B.1):
/// a new context per call (the engine calls concurrently), no tracking for reads, one load and one transaction per
/// checkpoint with the checkpoint contributors inside it, allow-list serialization of every value.
/// Deliberate differences: unknown ids return null/false instead of throwing a FormatException;
/// SetSubscriptionToken on a missing subscription returns false (as the memory provider does); stale
/// ExtensionAttributes are removed so the stored pointer equals the instance's.
/// </summary>
public sealed class EfCorePersistenceProvider : IPersistenceProvider
{
    private readonly IDbContextFactory<PgHaDbContext> _factory;
    private readonly IStoredValueSerializer _serializer;
    private readonly ICheckpointContributor[] _contributors;
    private readonly ILogger _logger;

    // Hot path, measured on SQLite with ~30 pointers: one Include query over Workflow/ExecutionPointer/
    // ExtensionAttribute costs ~2x three indexed single-table compiled queries (the joined shaper dominates), and
    // tracking the whole graph costs more than the load itself (snapshots + DetectChanges over every pointer). So the
    // graph is always read untracked in three queries, and PersistWorkflow writes only the rows that changed.
    // A compiled query is bound to the model it first ran with, and SQLite and PostgreSQL contexts have different
    // models (a process may hold both, e.g. the tests or a store copy), so there is one set per model.
    private sealed class GraphQueries
    {
        public readonly Func<PgHaDbContext, Guid, CancellationToken, Task<PersistedWorkflow?>> WorkflowById =
            EF.CompileAsyncQuery((PgHaDbContext db, Guid id, CancellationToken ct) => db.Workflows.AsNoTracking().FirstOrDefault(w => w.InstanceId == id));

        public readonly Func<PgHaDbContext, long, IAsyncEnumerable<PersistedExecutionPointer>> PointersOf =
            EF.CompileAsyncQuery((PgHaDbContext db, long wid) => db.ExecutionPointers.AsNoTracking().Where(p => p.WorkflowId == wid));

        public readonly Func<PgHaDbContext, long, IAsyncEnumerable<PersistedExtensionAttribute>> AttributesOf =
            EF.CompileAsyncQuery((PgHaDbContext db, long wid) => db.ExtensionAttributes.AsNoTracking().Where(a => a.ExecutionPointer!.WorkflowId == wid));

        public readonly Func<PgHaDbContext, Guid, CancellationToken, Task<long?>> RowVersionOf =
            EF.CompileAsyncQuery((PgHaDbContext db, Guid id, CancellationToken ct) => db.Workflows.Where(w => w.InstanceId == id).Select(w => (long?)w.RowVersion).FirstOrDefault());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Microsoft.EntityFrameworkCore.Metadata.IModel, GraphQueries> QueriesByModel = new();

    /// <summary>The stored graph, untracked. Navigations are left empty on purpose: attaching a row whose
    /// collections hold untracked children would make EF insert those children.</summary>
    internal sealed record StoredGraph(PersistedWorkflow Row, List<PersistedExecutionPointer> Pointers, Dictionary<long, List<PersistedExtensionAttribute>> Attributes);

    internal static async Task<StoredGraph?> LoadGraph(PgHaDbContext db, Guid id, CancellationToken ct)
    {
        var q = QueriesByModel.GetOrAdd(db.Model, static _ => new GraphQueries());
        var row = await q.WorkflowById(db, id, ct);
        if (row is null) return null;
        var pointers = new List<PersistedExecutionPointer>();
        await foreach (var p in q.PointersOf(db, row.PersistenceId).WithCancellation(ct)) pointers.Add(p);
        var attributes = new Dictionary<long, List<PersistedExtensionAttribute>>();
        await foreach (var a in q.AttributesOf(db, row.PersistenceId).WithCancellation(ct))
        {
            if (!attributes.TryGetValue(a.ExecutionPointerId, out var list)) attributes[a.ExecutionPointerId] = list = new();
            list.Add(a);
        }
        return new StoredGraph(row, pointers, attributes);
    }

    // The last graph this provider committed per instance (see PgHaStoreOptions.CacheCommittedGraphs). Entries are
    // never mutated: a checkpoint copies what it changes and publishes the result after its commit. A read uses a
    // snapshot only while the stored RowVersion still equals its own; a checkpoint uses it unchecked, because its
    // version-guarded UPDATE refuses to write over anything committed since (every PersistWorkflow bumps it).
    // SQLite only: PostgreSQL rounds timestamps to microseconds, so a cached row would not equal the stored one.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, StoredGraph>? _committed;
    private const int MaxCachedGraphs = 1024;

    public EfCorePersistenceProvider(
        IDbContextFactory<PgHaDbContext> factory,
        IStoredValueSerializer serializer,
        IEnumerable<ICheckpointContributor> contributors,
        ILogger<EfCorePersistenceProvider>? logger = null,
        PgHaStoreOptions? storeOptions = null)
    {
        _factory = factory;
        _serializer = serializer;
        _contributors = contributors.ToArray();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (storeOptions is { CacheCommittedGraphs: true } && factory is SqlitePgHaDbContextFactory)
            _committed = new();
    }

    /// <summary>The committed snapshot of <paramref name="id"/> if it is still what the store holds, else null.</summary>
    private async Task<StoredGraph?> CurrentSnapshot(PgHaDbContext db, Guid id, CancellationToken ct)
    {
        if (_committed is null || !_committed.TryGetValue(id, out var snapshot)) return null;
        var q = QueriesByModel.GetOrAdd(db.Model, static _ => new GraphQueries());
        if (await q.RowVersionOf(db, id, ct) == snapshot.Row.RowVersion) return snapshot;
        _committed.TryRemove(KeyValuePair.Create(id, snapshot));
        return null;
    }

    private void Remember(Guid id, StoredGraph graph, WorkflowStatus status)
    {
        if (_committed is null) return;
        if (status is WorkflowStatus.Complete or WorkflowStatus.Terminated)
        {
            // Finished instances are rarely read again; keep the cache to live ones.
            _committed.TryRemove(id, out _);
            return;
        }
        if (_committed.Count >= MaxCachedGraphs) _committed.Clear();
        _committed[id] = graph;
    }

    public bool SupportsScheduledCommands => true;

    // ---------------- IWorkflowRepository ----------------

    public async Task<string> CreateNewWorkflow(WorkflowInstance workflow, CancellationToken cancellationToken = default)
    {
        workflow.Id = Guid.NewGuid().ToString();
        var row = new PersistedWorkflow();
        CopyWorkflowFields(workflow, row);
        foreach (var ep in workflow.ExecutionPointers)
        {
            var prow = NewPointerRow(ep);
            row.ExecutionPointers.Add(prow);
        }
        await using var db = _factory.CreateDbContext();
        db.Workflows.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return workflow.Id;
    }

    public Task PersistWorkflow(WorkflowInstance workflow, CancellationToken cancellationToken = default)
        => Checkpoint(workflow, null, cancellationToken);

    public Task PersistWorkflow(WorkflowInstance workflow, List<EventSubscription> subscriptions, CancellationToken cancellationToken = default)
        => Checkpoint(workflow, subscriptions, cancellationToken);

    // The checkpoint's own rows (workflow, pointers) are written with statements built once from the model; SaveChanges
    // runs only when something else was staged (subscriptions, attribute changes, contributor rows). See RowStatement.
    private static readonly string[] StoredPointerColumns =
    [
        nameof(PersistedExecutionPointer.StepId), nameof(PersistedExecutionPointer.Active), nameof(PersistedExecutionPointer.SleepUntil),
        nameof(PersistedExecutionPointer.PersistenceData), nameof(PersistedExecutionPointer.StartTime), nameof(PersistedExecutionPointer.EndTime),
        nameof(PersistedExecutionPointer.EventName), nameof(PersistedExecutionPointer.EventKey), nameof(PersistedExecutionPointer.EventPublished),
        nameof(PersistedExecutionPointer.EventData), nameof(PersistedExecutionPointer.StepName), nameof(PersistedExecutionPointer.RetryCount),
        nameof(PersistedExecutionPointer.Children), nameof(PersistedExecutionPointer.ContextItem), nameof(PersistedExecutionPointer.PredecessorId),
        nameof(PersistedExecutionPointer.Outcome), nameof(PersistedExecutionPointer.Status), nameof(PersistedExecutionPointer.Scope),
    ];

    private static readonly RowUpdate<PersistedWorkflow> UpdateWorkflowRow = new(
    [
        nameof(PersistedWorkflow.WorkflowDefinitionId), nameof(PersistedWorkflow.Version), nameof(PersistedWorkflow.Description),
        nameof(PersistedWorkflow.Reference), nameof(PersistedWorkflow.NextExecution), nameof(PersistedWorkflow.Data),
        nameof(PersistedWorkflow.CreateTime), nameof(PersistedWorkflow.CompleteTime), nameof(PersistedWorkflow.Status),
    ], versionColumn: nameof(PersistedWorkflow.RowVersion));

    private static readonly RowUpdate<PersistedExecutionPointer> UpdatePointerRow = new(StoredPointerColumns);

    private static readonly RowInsert<PersistedExecutionPointer> InsertPointerRow =
        new([nameof(PersistedExecutionPointer.WorkflowId), nameof(PersistedExecutionPointer.Id), .. StoredPointerColumns]);

    private async Task Checkpoint(WorkflowInstance workflow, List<EventSubscription>? subscriptions, CancellationToken ct)
    {
        var id = ParseId(workflow.Id) ?? throw new InvalidOperationException($"Workflow instance id '{workflow.Id}' is not a store id.");
        CheckpointScope committed;
        try
        {
            committed = await WriteCheckpointAsync(id, workflow, subscriptions, ct);
        }
        catch (Exception error)
        {
            // Whatever the store holds now, it is not known to be the snapshot.
            _committed?.TryRemove(id, out _);
            foreach (var contributor in _contributors)
            {
                try { await contributor.RolledBackAsync(workflow, error, CancellationToken.None); }
                catch (Exception e) { _logger.LogError(e, "A rollback action of instance {InstanceId} failed", workflow.Id); }
            }
            throw;
        }
        committed.Committed(_logger);
    }

    private async Task<CheckpointScope> WriteCheckpointAsync(Guid id, WorkflowInstance workflow, List<EventSubscription>? subscriptions, CancellationToken ct)
    {
        await using var db = _factory.CreateDbContext();
        var stored = (_committed is not null && _committed.TryGetValue(id, out var snapshot) ? snapshot : null)
            ?? await LoadGraph(db, id, ct)
            ?? throw new InvalidOperationException($"Workflow instance {workflow.Id} does not exist in the store.");

        var changes = Diff(db, workflow, stored);
        if (subscriptions is not null)
        {
            foreach (var subscription in subscriptions)
            {
                subscription.Id = Guid.NewGuid().ToString();
                db.Subscriptions.Add(ToRow(subscription));
            }
        }

        var scope = new CheckpointScope(db, workflow);
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            // Contributors first: nothing of this instance is locked yet (PostgreSQL takes the row lock at the UPDATE).
            foreach (var contributor in _contributors)
                await contributor.ContributeAsync(scope, ct);

            if (await UpdateWorkflowRow.ExecuteAsync(db, changes.Row, ct) == 0)
                throw new DbUpdateConcurrencyException(
                    $"Workflow instance {workflow.Id} was changed by another writer since version {changes.Row.RowVersion} was read; the checkpoint was not written.");
            changes.Row.RowVersion++;
            foreach (var pointer in changes.UpdatedPointers)
                if (await UpdatePointerRow.ExecuteAsync(db, pointer, ct) != 1)
                    throw new DbUpdateConcurrencyException($"Execution pointer {pointer.Id} of instance {workflow.Id} is no longer stored; the checkpoint was not written.");
            foreach (var (pointer, attributes) in changes.AddedPointers)
            {
                pointer.PersistenceId = await InsertPointerRow.ExecuteAsync(db, pointer, ct);
                foreach (var attribute in attributes)
                {
                    attribute.ExecutionPointerId = pointer.PersistenceId;
                    db.ExtensionAttributes.Add(attribute);
                }
            }
            if (db.ChangeTracker.HasChanges())
            {
                // One transaction already covers everything; a savepoint would only add statements.
                db.Database.AutoSavepointsEnabled = false;
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        Remember(id, changes.Snapshot(), workflow.Status);
        return scope;
    }

    /// <summary>What a checkpoint writes, and the graph the store holds once it is committed.</summary>
    private sealed class GraphChanges(PersistedWorkflow row, List<PersistedExecutionPointer> pointers, Dictionary<long, List<PersistedExtensionAttribute>> attributes)
    {
        public PersistedWorkflow Row { get; } = row;
        public List<PersistedExecutionPointer> UpdatedPointers { get; } = new();
        public List<(PersistedExecutionPointer Row, List<PersistedExtensionAttribute> Attributes)> AddedPointers { get; } = new();
        public List<PersistedExecutionPointer> Pointers { get; } = pointers;
        public Dictionary<long, List<PersistedExtensionAttribute>> Attributes { get; } = attributes;

        /// <summary>The committed graph (call after the commit: new rows have their keys then).</summary>
        public StoredGraph Snapshot()
        {
            foreach (var (row, attributes) in AddedPointers)
            {
                Pointers.Add(row);
                if (attributes.Count > 0) Attributes[row.PersistenceId] = attributes;
            }
            return new StoredGraph(Row, Pointers, Attributes);
        }
    }

    public async Task<IEnumerable<string>> GetRunnableInstances(DateTime asAt, CancellationToken cancellationToken = default)
    {
        var now = ToUtc(asAt).Ticks;
        await using var db = _factory.CreateDbContext();
        var ids = await db.Workflows.AsNoTracking()
            .Where(w => w.Status == WorkflowStatus.Runnable && w.NextExecution != null && w.NextExecution <= now)
            .Select(w => w.InstanceId)
            .ToListAsync(cancellationToken);
        return ids.Select(g => g.ToString()).ToList();
    }

    [Obsolete("Kept for IWorkflowRepository; WorkflowCore marks it obsolete.")]
    public async Task<IEnumerable<WorkflowInstance>> GetWorkflowInstances(WorkflowStatus? status, string type, DateTime? createdFrom, DateTime? createdTo, int skip, int take)
    {
        await using var db = _factory.CreateDbContext();
        IQueryable<PersistedWorkflow> query = db.Workflows.AsNoTracking();
        if (status.HasValue) query = query.Where(w => w.Status == status.Value);
        if (!string.IsNullOrEmpty(type)) query = query.Where(w => w.WorkflowDefinitionId == type);
        if (createdFrom.HasValue) { var from = ToUtc(createdFrom.Value); query = query.Where(w => w.CreateTime >= from); }
        if (createdTo.HasValue) { var to = ToUtc(createdTo.Value); query = query.Where(w => w.CreateTime <= to); }
        var rows = await query.OrderBy(w => w.PersistenceId).Skip(skip).Take(take)
            .Include(w => w.ExecutionPointers).ThenInclude(p => p.ExtensionAttributes)
            .AsSplitQuery()
            .ToListAsync();
        return rows.Select(r => ToInstance(r, r.ExecutionPointers, p => p.ExtensionAttributes)).ToList();
    }

    public async Task<WorkflowInstance> GetWorkflowInstance(string Id, CancellationToken cancellationToken = default)
    {
        var id = ParseId(Id);
        if (id is null) return null!;
        await using var db = _factory.CreateDbContext();
        // The snapshot is only read here (mapping copies every value into the new instance).
        var graph = await CurrentSnapshot(db, id.Value, cancellationToken) ?? await LoadGraph(db, id.Value, cancellationToken);
        // WorkflowCore's contract returns null for an unknown id; its interface is not nullable-annotated.
        return graph is null ? null! : ToInstance(graph.Row, graph.Pointers, p => graph.Attributes.GetValueOrDefault(p.PersistenceId));
    }

    public async Task<IEnumerable<WorkflowInstance>> GetWorkflowInstances(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        if (ids is null) return new List<WorkflowInstance>();
        var guids = ids.Select(ParseId).Where(g => g.HasValue).Select(g => g!.Value).Distinct().ToList();
        if (guids.Count == 0) return new List<WorkflowInstance>();
        await using var db = _factory.CreateDbContext();
        var rows = await db.Workflows.AsNoTracking()
            .Where(w => guids.Contains(w.InstanceId))
            .Include(w => w.ExecutionPointers).ThenInclude(p => p.ExtensionAttributes)
            .ToListAsync(cancellationToken);
        return rows.Select(r => ToInstance(r, r.ExecutionPointers, p => p.ExtensionAttributes)).ToList();
    }

    // ---------------- ISubscriptionRepository ----------------

    public async Task<string> CreateEventSubscription(EventSubscription subscription, CancellationToken cancellationToken = default)
    {
        subscription.Id = Guid.NewGuid().ToString();
        var row = ToRow(subscription);
        await using var db = _factory.CreateDbContext();
        db.Subscriptions.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return subscription.Id;
    }

    public async Task<IEnumerable<EventSubscription>> GetSubscriptions(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default)
    {
        var at = ToUtc(asOf);
        await using var db = _factory.CreateDbContext();
        var rows = await db.Subscriptions.AsNoTracking()
            .Where(s => s.EventName == eventName && s.EventKey == eventKey && s.SubscribeAsOf <= at)
            .OrderBy(s => s.PersistenceId)
            .ToListAsync(cancellationToken);
        return rows.Select(ToSubscription).ToList();
    }

    public async Task TerminateSubscription(string eventSubscriptionId, CancellationToken cancellationToken = default)
    {
        var id = ParseId(eventSubscriptionId);
        await using var db = _factory.CreateDbContext();
        var deleted = id is null ? 0 : await db.Subscriptions.Where(s => s.SubscriptionId == id.Value).ExecuteDeleteAsync(cancellationToken);
        // WorkflowCore's EF provider throws for a missing subscription; keep that so double terminations are visible.
        if (deleted == 0)
            throw new InvalidOperationException($"Subscription {eventSubscriptionId} does not exist.");
    }

    public async Task<EventSubscription> GetSubscription(string eventSubscriptionId, CancellationToken cancellationToken = default)
    {
        var id = ParseId(eventSubscriptionId);
        if (id is null) return null!;
        await using var db = _factory.CreateDbContext();
        var row = await db.Subscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.SubscriptionId == id.Value, cancellationToken);
        return row is null ? null! : ToSubscription(row);
    }

    public async Task<EventSubscription> GetFirstOpenSubscription(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default)
    {
        var at = ToUtc(asOf);
        await using var db = _factory.CreateDbContext();
        var row = await db.Subscriptions.AsNoTracking()
            .Where(s => s.EventName == eventName && s.EventKey == eventKey && s.SubscribeAsOf <= at && s.ExternalToken == null)
            .OrderBy(s => s.PersistenceId)
            .FirstOrDefaultAsync(cancellationToken);
        return row is null ? null! : ToSubscription(row);
    }

    public async Task<bool> SetSubscriptionToken(string eventSubscriptionId, string token, string workerId, DateTime expiry, CancellationToken cancellationToken = default)
    {
        var id = ParseId(eventSubscriptionId);
        if (id is null) return false;
        var exp = ToUtc(expiry);
        await using var db = _factory.CreateDbContext();
        var updated = await db.Subscriptions.Where(s => s.SubscriptionId == id.Value)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.ExternalToken, token)
                .SetProperty(s => s.ExternalWorkerId, workerId)
                .SetProperty(s => s.ExternalTokenExpiry, exp), cancellationToken);
        return updated > 0;
    }

    public async Task ClearSubscriptionToken(string eventSubscriptionId, string token, CancellationToken cancellationToken = default)
    {
        var id = ParseId(eventSubscriptionId) ?? throw new InvalidOperationException($"Subscription {eventSubscriptionId} does not exist.");
        await using var db = _factory.CreateDbContext();
        // One conditional UPDATE: the token check and the release cannot interleave with another worker.
        var updated = await db.Subscriptions.Where(s => s.SubscriptionId == id && s.ExternalToken == token)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.ExternalToken, (string?)null)
                .SetProperty(s => s.ExternalWorkerId, (string?)null)
                .SetProperty(s => s.ExternalTokenExpiry, (DateTime?)null), cancellationToken);
        if (updated == 0)
        {
            var exists = await db.Subscriptions.AnyAsync(s => s.SubscriptionId == id, cancellationToken);
            throw new InvalidOperationException(exists
                ? $"Subscription {eventSubscriptionId} is not held by the given token."
                : $"Subscription {eventSubscriptionId} does not exist.");
        }
    }

    // ---------------- IEventRepository ----------------

    public async Task<string> CreateEvent(Event newEvent, CancellationToken cancellationToken = default)
    {
        newEvent.Id = Guid.NewGuid().ToString();
        var row = new PersistedEvent
        {
            EventId = Guid.Parse(newEvent.Id),
            EventName = newEvent.EventName,
            EventKey = newEvent.EventKey,
            EventData = _serializer.Serialize(newEvent.EventData),
            EventTime = ToUtc(newEvent.EventTime),
            IsProcessed = newEvent.IsProcessed,
        };
        await using var db = _factory.CreateDbContext();
        db.Events.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return newEvent.Id;
    }

    public async Task<Event> GetEvent(string id, CancellationToken cancellationToken = default)
    {
        var uid = ParseId(id);
        if (uid is null) return null!;
        await using var db = _factory.CreateDbContext();
        var row = await db.Events.AsNoTracking().FirstOrDefaultAsync(e => e.EventId == uid.Value, cancellationToken);
        if (row is null) return null!;
        return new Event
        {
            Id = row.EventId.ToString(),
            EventName = row.EventName!,
            EventKey = row.EventKey!,
            EventData = _serializer.Deserialize(row.EventData)!,
            EventTime = row.EventTime,
            IsProcessed = row.IsProcessed,
        };
    }

    public async Task<IEnumerable<string>> GetRunnableEvents(DateTime asAt, CancellationToken cancellationToken = default)
    {
        var at = ToUtc(asAt);
        await using var db = _factory.CreateDbContext();
        var ids = await db.Events.AsNoTracking()
            .Where(e => !e.IsProcessed && e.EventTime <= at)
            .OrderBy(e => e.PersistenceId)
            .Select(e => e.EventId)
            .ToListAsync(cancellationToken);
        return ids.Select(g => g.ToString()).ToList();
    }

    public async Task<IEnumerable<string>> GetEvents(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default)
    {
        var at = ToUtc(asOf);
        await using var db = _factory.CreateDbContext();
        // Processed and unprocessed alike: the engine re-arms matching events for a new subscription (B.5).
        var ids = await db.Events.AsNoTracking()
            .Where(e => e.EventName == eventName && e.EventKey == eventKey && e.EventTime >= at)
            .OrderBy(e => e.PersistenceId)
            .Select(e => e.EventId)
            .ToListAsync(cancellationToken);
        return ids.Select(g => g.ToString()).ToList();
    }

    public Task MarkEventProcessed(string id, CancellationToken cancellationToken = default)
        => SetProcessed(id, true, cancellationToken);

    public Task MarkEventUnprocessed(string id, CancellationToken cancellationToken = default)
        => SetProcessed(id, false, cancellationToken);

    private async Task SetProcessed(string id, bool processed, CancellationToken ct)
    {
        var uid = ParseId(id);
        if (uid is null) return;
        await using var db = _factory.CreateDbContext();
        // A missing event is a no-op, as in WorkflowCore.
        await db.Events.Where(e => e.EventId == uid.Value)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.IsProcessed, processed), ct);
    }

    // ---------------- IScheduledCommandRepository ----------------

    public async Task ScheduleCommand(ScheduledCommand command)
    {
        try
        {
            await using var db = _factory.CreateDbContext();
            db.ScheduledCommands.Add(new PersistedScheduledCommand
            {
                CommandName = command.CommandName,
                Data = command.Data,
                ExecuteTime = command.ExecuteTime,
            });
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            // The unique (CommandName, Data) index makes re-scheduling the same work a no-op. Any other failure
            // propagates (the poller still finds the instance through NextExecution).
            _logger.LogDebug(ex, "Scheduled command {Command} {Data} already exists", command.CommandName, command.Data);
        }
    }

    public async Task ProcessCommands(DateTimeOffset asOf, Func<ScheduledCommand, Task> action, CancellationToken cancellationToken = default)
    {
        var ticks = asOf.UtcDateTime.Ticks;
        List<PersistedScheduledCommand> due;
        await using (var db = _factory.CreateDbContext())
        {
            // Materialised first so no read cursor is held open while the actions write.
            due = await db.ScheduledCommands.AsNoTracking()
                .Where(c => c.ExecuteTime < ticks)
                .OrderBy(c => c.ExecuteTime)
                .ToListAsync(cancellationToken);
        }

        foreach (var row in due)
        {
            if (cancellationToken.IsCancellationRequested) return;
            try
            {
                await action(new ScheduledCommand { CommandName = row.CommandName, Data = row.Data, ExecuteTime = row.ExecuteTime });
                await using var db = _factory.CreateDbContext();
                await db.ScheduledCommands.Where(c => c.PersistenceId == row.PersistenceId).ExecuteDeleteAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Left in place: the next poll retries it.
                _logger.LogWarning(ex, "Scheduled command {Command} {Data} failed; it stays scheduled", row.CommandName, row.Data);
            }
        }
    }

    // ---------------- IPersistenceProvider ----------------

    public async Task PersistErrors(IEnumerable<ExecutionError> errors, CancellationToken cancellationToken = default)
    {
        var rows = errors.Select(e => new PersistedExecutionError
        {
            WorkflowId = e.WorkflowId,
            ExecutionPointerId = e.ExecutionPointerId,
            ErrorTime = ToUtc(e.ErrorTime),
            Message = e.Message,
        }).ToList();
        if (rows.Count == 0) return;
        await using var db = _factory.CreateDbContext();
        db.ExecutionErrors.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
    }

    public void EnsureStoreExists()
    {
        using var db = _factory.CreateDbContext();
        PgHaStoreSchema.Migrate(db, (_factory as PostgresPgHaDbContextFactory)?.Options.MigrationLockTimeout);
    }

    // ---------------- mapping ----------------

    private void CopyWorkflowFields(WorkflowInstance instance, PersistedWorkflow row)
    {
        row.InstanceId = Guid.Parse(instance.Id);
        row.WorkflowDefinitionId = instance.WorkflowDefinitionId;
        row.Version = instance.Version;
        row.Description = instance.Description;
        row.Reference = instance.Reference;
        row.NextExecution = instance.NextExecution;
        row.Status = instance.Status;
        row.Data = _serializer.Serialize(instance.Data);
        row.CreateTime = ToUtc(instance.CreateTime);
        row.CompleteTime = instance.CompleteTime is { } ct ? ToUtc(ct) : null;
    }

    /// <summary>The row a pointer maps to (no keys), with its attributes in the navigation.</summary>
    private PersistedExecutionPointer NewPointerRow(ExecutionPointer ep)
    {
        ep.Id ??= Guid.NewGuid().ToString();
        var prow = new PersistedExecutionPointer { Id = ep.Id };
        CopyPointerFields(ep, prow);
        if (ep.ExtensionAttributes is { } attrs)
            foreach (var (key, value) in attrs)
                prow.ExtensionAttributes.Add(new PersistedExtensionAttribute { AttributeKey = key, AttributeValue = _serializer.Serialize(value) });
        return prow;
    }

    private void CopyPointerFields(ExecutionPointer ep, PersistedExecutionPointer prow)
    {
        prow.StepId = ep.StepId;
        prow.Active = ep.Active;
        prow.SleepUntil = ep.SleepUntil is { } su ? ToUtc(su) : null;
        prow.PersistenceData = _serializer.Serialize(ep.PersistenceData);
        prow.StartTime = ep.StartTime is { } st ? ToUtc(st) : null;
        prow.EndTime = ep.EndTime is { } et ? ToUtc(et) : null;
        prow.EventName = ep.EventName;
        prow.EventKey = ep.EventKey;
        prow.EventPublished = ep.EventPublished;
        prow.EventData = _serializer.Serialize(ep.EventData);
        prow.StepName = ep.StepName;
        prow.RetryCount = ep.RetryCount;
        prow.Children = JoinIds(ep.Children);
        prow.ContextItem = _serializer.Serialize(ep.ContextItem);
        prow.PredecessorId = ep.PredecessorId;
        prow.Outcome = _serializer.Serialize(ep.Outcome);
        prow.Status = ep.Status;
        prow.Scope = JoinIds(ep.Scope);
    }

    private static bool SamePointerFields(PersistedExecutionPointer a, PersistedExecutionPointer b) =>
        a.StepId == b.StepId && a.Active == b.Active && a.SleepUntil == b.SleepUntil && a.PersistenceData == b.PersistenceData
        && a.StartTime == b.StartTime && a.EndTime == b.EndTime && a.EventName == b.EventName && a.EventKey == b.EventKey
        && a.EventPublished == b.EventPublished && a.EventData == b.EventData && a.StepName == b.StepName
        && a.RetryCount == b.RetryCount && a.Children == b.Children && a.ContextItem == b.ContextItem
        && a.PredecessorId == b.PredecessorId && a.Outcome == b.Outcome && a.Status == b.Status && a.Scope == b.Scope;

    /// <summary>
    /// Compares the instance with the stored graph, which stays untouched (it may be the shared snapshot): the workflow
    /// row and every changed pointer are copies, new pointers are listed for insertion (pointers are never deleted;
    /// WorkflowCore keeps the whole history in the instance), and attribute changes are staged in <paramref name="db"/>.
    /// </summary>
    private GraphChanges Diff(PgHaDbContext db, WorkflowInstance instance, StoredGraph stored)
    {
        // Every other column comes from the instance.
        var row = new PersistedWorkflow { PersistenceId = stored.Row.PersistenceId, RowVersion = stored.Row.RowVersion };
        CopyWorkflowFields(instance, row);
        var changes = new GraphChanges(row, new List<PersistedExecutionPointer>(stored.Pointers.Count + 1),
            new Dictionary<long, List<PersistedExtensionAttribute>>(stored.Attributes));

        var byId = new Dictionary<string, PersistedExecutionPointer>(stored.Pointers.Count, StringComparer.Ordinal);
        foreach (var p in stored.Pointers) byId[p.Id] = p;

        foreach (var ep in instance.ExecutionPointers)
        {
            if (ep.Id is null || !byId.Remove(ep.Id, out var storedPointer))
            {
                var fresh = NewPointerRow(ep);
                fresh.WorkflowId = row.PersistenceId;
                var attributes = fresh.ExtensionAttributes;
                fresh.ExtensionAttributes = new();
                changes.AddedPointers.Add((fresh, attributes));
                continue;
            }

            var candidate = new PersistedExecutionPointer { PersistenceId = storedPointer.PersistenceId, WorkflowId = storedPointer.WorkflowId, Id = storedPointer.Id };
            CopyPointerFields(ep, candidate);
            if (SamePointerFields(storedPointer, candidate)) changes.Pointers.Add(storedPointer);
            else
            {
                changes.Pointers.Add(candidate);
                changes.UpdatedPointers.Add(candidate);
            }
            DiffAttributes(db, ep, storedPointer.PersistenceId, changes.Attributes);
        }
        // Stored pointers the instance no longer has stay stored (and in the snapshot), as they are in the table.
        changes.Pointers.AddRange(byId.Values);
        return changes;
    }

    /// <summary>Stages attribute inserts, updates and deletes; <paramref name="attributes"/> becomes the committed set.</summary>
    private void DiffAttributes(PgHaDbContext db, ExecutionPointer ep, long pointerKey, Dictionary<long, List<PersistedExtensionAttribute>> attributes)
    {
        var stored = attributes.GetValueOrDefault(pointerKey);
        var wanted = ep.ExtensionAttributes;
        if (stored is null && (wanted is null || wanted.Count == 0)) return;

        var result = new List<PersistedExtensionAttribute>();
        var changed = false;
        foreach (var (key, value) in wanted ?? new Dictionary<string, object>())
        {
            var text = _serializer.Serialize(value);
            var existing = stored?.Find(a => a.AttributeKey == key);
            if (existing is null)
            {
                var added = new PersistedExtensionAttribute { ExecutionPointerId = pointerKey, AttributeKey = key, AttributeValue = text };
                db.ExtensionAttributes.Add(added);
                result.Add(added);
                changed = true;
            }
            else if (existing.AttributeValue != text)
            {
                // Attached with the stored value, so a change to any value (null included) is detected and written.
                var updated = new PersistedExtensionAttribute { PersistenceId = existing.PersistenceId, ExecutionPointerId = pointerKey, AttributeKey = key, AttributeValue = existing.AttributeValue };
                db.ExtensionAttributes.Attach(updated).Property(a => a.AttributeValue).CurrentValue = text;
                result.Add(updated);
                changed = true;
            }
            else result.Add(existing);
        }
        foreach (var stale in stored ?? [])
        {
            if (wanted is not null && wanted.ContainsKey(stale.AttributeKey)) continue;
            db.ExtensionAttributes.Remove(new PersistedExtensionAttribute { PersistenceId = stale.PersistenceId, ExecutionPointerId = pointerKey, AttributeKey = stale.AttributeKey });
            changed = true;
        }
        if (changed) attributes[pointerKey] = result;
    }

    private WorkflowInstance ToInstance(PersistedWorkflow row, IEnumerable<PersistedExecutionPointer> rows, Func<PersistedExecutionPointer, IEnumerable<PersistedExtensionAttribute>?> attributesOf)
    {
        var pointers = new ExecutionPointerCollection();
        // Insertion order is execution order for WorkflowCore; the database returns includes unordered.
        foreach (var p in rows.OrderBy(p => p.PersistenceId))
        {
            var ep = new ExecutionPointer
            {
                Id = p.Id,
                StepId = p.StepId,
                Active = p.Active,
                SleepUntil = p.SleepUntil,
                PersistenceData = _serializer.Deserialize(p.PersistenceData)!,
                StartTime = p.StartTime,
                EndTime = p.EndTime,
                EventName = p.EventName!,
                EventKey = p.EventKey!,
                EventPublished = p.EventPublished,
                EventData = _serializer.Deserialize(p.EventData)!,
                StepName = p.StepName!,
                RetryCount = p.RetryCount,
                Children = SplitIds(p.Children),
                ContextItem = _serializer.Deserialize(p.ContextItem)!,
                PredecessorId = p.PredecessorId!,
                Outcome = _serializer.Deserialize(p.Outcome)!,
                Status = p.Status,
                Scope = SplitIds(p.Scope),
            };
            foreach (var a in (attributesOf(p) ?? Enumerable.Empty<PersistedExtensionAttribute>()).OrderBy(a => a.PersistenceId))
                ep.ExtensionAttributes[a.AttributeKey] = _serializer.Deserialize(a.AttributeValue)!;
            pointers.Add(ep);
        }

        return new WorkflowInstance
        {
            Id = row.InstanceId.ToString(),
            WorkflowDefinitionId = row.WorkflowDefinitionId,
            Version = row.Version,
            Description = row.Description!,
            Reference = row.Reference!,
            NextExecution = row.NextExecution,
            Status = row.Status,
            Data = _serializer.Deserialize(row.Data)!,
            CreateTime = row.CreateTime,
            CompleteTime = row.CompleteTime,
            ExecutionPointers = pointers,
        };
    }

    private PersistedSubscription ToRow(EventSubscription s) => new()
    {
        SubscriptionId = Guid.Parse(s.Id),
        WorkflowId = s.WorkflowId,
        StepId = s.StepId,
        ExecutionPointerId = s.ExecutionPointerId,
        EventName = s.EventName,
        EventKey = s.EventKey,
        SubscribeAsOf = ToUtc(s.SubscribeAsOf),
        SubscriptionData = _serializer.Serialize(s.SubscriptionData),
        ExternalToken = s.ExternalToken,
        ExternalWorkerId = s.ExternalWorkerId,
        ExternalTokenExpiry = s.ExternalTokenExpiry is { } e ? ToUtc(e) : null,
    };

    private EventSubscription ToSubscription(PersistedSubscription r) => new()
    {
        Id = r.SubscriptionId.ToString(),
        WorkflowId = r.WorkflowId!,
        StepId = r.StepId,
        ExecutionPointerId = r.ExecutionPointerId!,
        EventName = r.EventName!,
        EventKey = r.EventKey!,
        SubscribeAsOf = r.SubscribeAsOf,
        SubscriptionData = _serializer.Deserialize(r.SubscriptionData)!,
        ExternalToken = r.ExternalToken!,
        ExternalWorkerId = r.ExternalWorkerId!,
        ExternalTokenExpiry = r.ExternalTokenExpiry,
    };

    // WorkflowCore's format: every id followed by ';' (readers drop empty entries).
    private static string JoinIds(IEnumerable<string>? ids)
    {
        if (ids is null) return string.Empty;
        var sb = new System.Text.StringBuilder();
        foreach (var id in ids) sb.Append(id).Append(';');
        return sb.ToString();
    }

    private static List<string> SplitIds(string? text)
        => string.IsNullOrEmpty(text) ? new List<string>() : text.Split(';', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static Guid? ParseId(string? id) => Guid.TryParse(id, out var g) ? g : null;

    /// <summary>Local times are converted; unspecified ones are taken as UTC (the engine's DateTime.MinValue defaults).</summary>
    internal static DateTime ToUtc(DateTime v) => v.Kind switch
    {
        DateTimeKind.Utc => v,
        DateTimeKind.Local => v.ToUniversalTime(),
        _ => DateTime.SpecifyKind(v, DateTimeKind.Utc),
    };
}
