using WorkflowCore.Interface;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// WorkflowCore's workflow locks, remembering which ones this process holds: a run is being executed here exactly
/// while its lock is held (WorkflowConsumer takes it for the whole pass, a step's activity included).
/// </summary>
public sealed class HeldWorkflowLocks(IDistributedLockProvider inner) : IDistributedLockProvider
{
    private readonly Lock _gate = new();
    // Lock id → the queueing held back while it was held (null: none).
    private readonly Dictionary<string, Func<Task>?> _held = new(StringComparer.Ordinal);

    /// <summary>What the locks are taken through: PostgreSQL advisory locks across servers, or memory on SQLite.</summary>
    public IDistributedLockProvider Inner => inner;

    public async Task<bool> AcquireLock(string Id, CancellationToken cancellationToken)
    {
        var acquired = await inner.AcquireLock(Id, cancellationToken).ConfigureAwait(false);
        if (acquired) lock (_gate) _held[Id] = null;
        return acquired;
    }

    public async Task ReleaseLock(string Id)
    {
        Func<Task>? heldBack;
        lock (_gate) _held.Remove(Id, out heldBack);
        await inner.ReleaseLock(Id).ConfigureAwait(false);
        if (heldBack is not null) await heldBack().ConfigureAwait(false);
    }

    public Task Start() => inner.Start();

    public Task Stop() => inner.Stop();

    /// <summary>While this process holds the lock, keeps <paramref name="queue"/> for its release (once) and says so.</summary>
    internal bool HoldBackWhileHeld(string id, Func<Task> queue)
    {
        lock (_gate)
        {
            if (!_held.ContainsKey(id)) return false;
            _held[id] = queue;
            return true;
        }
    }
}

/// <summary>
/// WorkflowCore's in-process queue, except that a run this process is executing is not queued again until its pass
/// ends. WorkflowCore's poller schedules every runnable instance, the running ones too, and its consumer hands a
/// queued run that is still executing straight back to the queue: a busy loop for as long as the step runs (on the
/// lab a whole core and ~300 MB/s of garbage during every host script, measured with the failover benchmark). Held
/// back, the run is queued once when its lock is released: the second pass WorkflowCore intends.
/// </summary>
public sealed class RunningWorkflowQueue(IQueueProvider inner, HeldWorkflowLocks locks) : IQueueProvider
{
    public bool IsDequeueBlocking => inner.IsDequeueBlocking;

    public Task QueueWork(string id, QueueType queue) =>
        queue == QueueType.Workflow && locks.HoldBackWhileHeld(id, () => inner.QueueWork(id, queue)) ? Task.CompletedTask : inner.QueueWork(id, queue);

    public Task<string> DequeueWork(QueueType queue, CancellationToken cancellationToken) => inner.DequeueWork(queue, cancellationToken);

    public Task Start() => inner.Start();

    public Task Stop() => inner.Stop();

    public void Dispose() => inner.Dispose();
}
