namespace PgHa.Postgres;

public enum ServerRole { Primary, Standby }

/// <summary>Result of <see cref="PostgresProbe.IsUpAsync"/>: up, or why not.</summary>
public sealed record Reachability(bool IsUp, ConnectionFailureKind? Failure, string Message, TimeSpan Elapsed, string? ServerVersion)
{
    public override string ToString() => IsUp ? $"up ({ServerVersion}, {Elapsed.TotalMilliseconds:F0} ms)" : $"{Failure}: {Message}";
}

/// <summary>Where the reported timeline came from, so a reader knows how much to trust it.</summary>
public enum TimelineSource
{
    /// <summary>Primary: the WAL file name of pg_current_wal_lsn() — current even right after promotion.</summary>
    CurrentWalFile,
    /// <summary>Standby: received_tli of the running WAL receiver.</summary>
    WalReceiver,
    /// <summary>Fallback: timeline of the last checkpoint/restartpoint; may lag behind a promotion.</summary>
    Checkpoint,
}

/// <summary>One snapshot of a server's role and WAL positions, taken in a single query.</summary>
public sealed record ServerState(
    ServerRole Role,
    bool InRecovery,
    string ServerVersion,
    int ServerVersionNumber,
    string? ClusterName,
    int? Timeline,
    TimelineSource? TimelineSource,
    // Primary only: pg_current_wal_lsn(). Null on a standby.
    Lsn? CurrentLsn,
    // Standby only: pg_last_wal_receive_lsn(). Null on a primary or when nothing was streamed yet.
    Lsn? ReceiveLsn,
    // Standby only: pg_last_wal_replay_lsn(). Null on a primary.
    Lsn? ReplayLsn,
    // pg_last_xact_replay_timestamp(): commit time of the last replayed transaction; null if none replayed.
    DateTimeOffset? LastReplayedTransactionAt,
    // Standby only: pg_is_wal_replay_paused().
    bool? ReplayPaused,
    DateTimeOffset ServerTime)
{
    /// <summary>WAL received but not yet replayed on a standby; null when unknown.</summary>
    public long? ReplayBacklogBytes => Lsn.BytesBetween(ReceiveLsn, ReplayLsn);
}

/// <summary>One row of pg_stat_replication on a primary (or cascading standby).</summary>
public sealed record ReplicationConnection(
    int Pid,
    string? UserName,
    string ApplicationName,
    string? ClientAddress,
    string? State,
    string? SyncState,
    Lsn? SentLsn,
    Lsn? WriteLsn,
    Lsn? FlushLsn,
    Lsn? ReplayLsn,
    // PostgreSQL leaves the *_lag intervals NULL when the standby is idle and caught up or has not replied yet.
    TimeSpan? WriteLag,
    TimeSpan? FlushLag,
    TimeSpan? ReplayLag,
    DateTimeOffset? ReplyTime,
    // pg_current_wal_lsn() on the sending server at the same instant; null on a cascading standby.
    Lsn? SenderCurrentLsn)
{
    public long? SendLagBytes => Lsn.BytesBetween(SenderCurrentLsn, SentLsn);
    public long? FlushLagBytes => Lsn.BytesBetween(SenderCurrentLsn, FlushLsn);
    public long? ReplayLagBytes => Lsn.BytesBetween(SenderCurrentLsn, ReplayLsn);
}

/// <summary>The row of pg_stat_wal_receiver on a standby (null when no WAL receiver runs).</summary>
public sealed record WalReceiverStatus(
    int Pid,
    string Status,
    Lsn? ReceiveStartLsn,
    int? ReceiveStartTimeline,
    Lsn? WrittenLsn,
    Lsn? FlushedLsn,
    int? ReceivedTimeline,
    DateTimeOffset? LastMessageSentAt,
    DateTimeOffset? LastMessageReceivedAt,
    Lsn? LatestEndLsn,
    string? SlotName,
    string? SenderHost,
    int? SenderPort);

/// <summary>One row of pg_replication_slots.</summary>
public sealed record ReplicationSlot(
    string SlotName,
    string SlotType,
    string? Plugin,
    string? Database,
    bool Temporary,
    bool Active,
    int? ActivePid,
    Lsn? RestartLsn,
    Lsn? ConfirmedFlushLsn,
    string? WalStatus,
    long? SafeWalSizeBytes,
    // WAL the slot holds back (current LSN − restart_lsn); null on a standby or when restart_lsn is NULL.
    long? RetainedBytes);

/// <summary>How far a standby is behind a primary. Null byte counts mean "unknown" (a side unreachable or NULL).</summary>
public sealed record StandbyLag(
    Lsn? PrimaryCurrentLsn,
    Lsn? StandbyReceiveLsn,
    Lsn? StandbyReplayLsn,
    string? Unknown)
{
    public long? ReceiveLagBytes => Lsn.BytesBetween(PrimaryCurrentLsn, StandbyReceiveLsn);
    public long? ReplayLagBytes => Lsn.BytesBetween(PrimaryCurrentLsn, StandbyReplayLsn);
}

public enum StandbyPosition
{
    /// <summary>pg_last_wal_receive_lsn(): WAL is safely on the standby's disk.</summary>
    Received,
    /// <summary>pg_last_wal_replay_lsn(): WAL is applied and visible to queries.</summary>
    Replayed,
}

/// <summary>Outcome of <see cref="PostgresProbe.WaitForLsnAsync"/>.</summary>
public sealed record LsnWaitResult(
    bool Reached,
    Lsn Target,
    StandbyPosition Position,
    Lsn? LastSeen,
    TimeSpan Elapsed,
    int Polls,
    string? LastError)
{
    public long? RemainingBytes => Reached ? 0 : Lsn.BytesBetween(Target, LastSeen);

    public override string ToString() => Reached
        ? $"{Position} LSN reached {Target} (at {LastSeen}) after {Elapsed.TotalMilliseconds:F0} ms"
        : $"{Position} LSN did not reach {Target} within {Elapsed.TotalMilliseconds:F0} ms; last seen {(LastSeen?.ToString() ?? "unknown")}" +
          (LastError is null ? "" : $"; last error: {LastError}");
}

/// <summary>
/// A Londiste subscriber as its provider sees it (PgQ 3.5). Lag is PgQ's: the age of the last tick the consumer
/// finished, so it also grows while the ticker (pgqd) is idle or down; <see cref="CaughtUp"/> tells those apart.
/// </summary>
public sealed record LondisteSubscription(
    string Queue,
    string SubscriberNode,
    bool QueueExists,
    // now() − time of the queue's newest tick: how long pgqd has not ticked.
    TimeSpan? TickerLag,
    // pgqd ticks an idle queue this often, so a ticker lag up to it is normal.
    TimeSpan? TickerIdlePeriod,
    long? NewestTick,
    // Events inserted after the newest tick: not yet visible to any consumer.
    long? EventsNotYetTicked,
    // From pgq_node.subscriber_info: the consumer name the subscriber's worker registered on the provider.
    string? WorkerName,
    bool ConsumerRegistered,
    TimeSpan? ConsumerLag,
    // now() − when the consumer last took or finished a batch.
    TimeSpan? ConsumerLastSeen,
    long? ConsumerLastTick,
    long? CurrentBatch,
    // Events in ticks the consumer has not finished yet.
    long? PendingEvents)
{
    /// <summary>The consumer has finished the newest tick: every change the ticker published has been applied.</summary>
    public bool CaughtUp => ConsumerLastTick is { } last && NewestTick is { } newest && last >= newest;
}

/// <summary>A row of londiste.table_info: a table a node knows for a queue, and its copy state (merge_state).</summary>
public sealed record LondisteTable(string Name, bool Local, string? MergeState)
{
    /// <summary>'ok': the initial copy is done and the table follows the queue. NULL, 'in-copy', 'catching-up', 'wanna-sync:…', 'do-sync:…' are not.</summary>
    public bool InSync => MergeState == "ok";
}
