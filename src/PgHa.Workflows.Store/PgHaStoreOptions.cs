namespace PgHa.Workflows.Store;

/// <summary>Tuning of the SQLite store.</summary>
public sealed class PgHaStoreOptions
{
    /// <summary>
    /// False (default): <c>synchronous=NORMAL</c> in WAL mode. A commit survives a crash of this process (the WAL is
    /// written before COMMIT returns) but the last commits before an OS crash or power loss may roll back; the
    /// database never corrupts. That only rewinds to an earlier checkpoint, and every node is at-least-once and
    /// idempotent (design §5), so it is safe, and it removes an fsync per checkpoint (the &lt;2 ms/step budget).
    /// True: <c>synchronous=FULL</c>, an fsync per commit, for hosts that must not rewind even on power loss
    /// (e.g. an approval decision recorded just before a power cut).
    /// </summary>
    public bool SyncEveryCommit { get; set; }

    /// <summary>How long a writer waits for another connection's write lock before failing (SQLite busy_timeout).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True (default): the provider keeps the last graph it committed per instance and reuses it instead of reading
    /// every pointer again (load and checkpoint were O(history) reads per step): a load after checking the stored row
    /// version with one indexed read, a checkpoint with no read at all, because its UPDATE carries the cached version.
    /// Any other writer bumps the row version: a read never returns a stale copy, and a checkpoint started from one is
    /// refused (DbUpdateConcurrencyException; WorkflowCore runs the pass again from the store).
    /// </summary>
    public bool CacheCommittedGraphs { get; set; } = true;
}
