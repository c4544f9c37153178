using System.Globalization;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;

namespace PgHa.Activities.Checks;

/// <summary>What <see cref="CheckCluster"/> read on one expected host. Unread parts stay null.</summary>
public sealed record HostObservation(HostRef Host, string Expected)
{
    /// <summary>Why the host could not be reached; null when it answered.</summary>
    public string? Unreachable { get; init; }
    /// <summary>A probe that failed after the host answered.</summary>
    public string? Error { get; init; }
    public ServerState? State { get; init; }
    public WalReceiverStatus? Receiver { get; init; }
    public IReadOnlyList<ReplicationConnection> Senders { get; init; } = [];

    /// <summary>Answered and is not in recovery: its pg_stat_replication can be trusted.</summary>
    public bool IsReadPrimary => State is { InRecovery: false };
}

/// <summary>One replicated database of an expected replica: its Londiste subscription on the provider and its tables.</summary>
public sealed record LeafObservation(HostRef Leaf, string Database, HostRef? Provider)
{
    public LondisteSubscription? Subscription { get; init; }
    public IReadOnlyList<LondisteTable>? Tables { get; init; }
    public IReadOnlyList<string> Errors { get; init; } = [];
}

/// <summary>One pgbouncer: SHOW DATABASES and, per replicated database, whether a client query through it was served.</summary>
public sealed record BouncerObservation(HostRef Host)
{
    public IReadOnlyList<PgBouncerDatabase>? Databases { get; init; }
    public string? Error { get; init; }
    public IReadOnlyDictionary<string, Reachability> Served { get; init; } = new Dictionary<string, Reachability>();
}

/// <summary>
/// The preflight's judgement, apart from the reading so it can be tested on plain facts. Each rule returns the
/// expectations that did not hold, as sentences naming the host and the fact.
/// </summary>
public static class PreflightRules
{
    public static IEnumerable<string> HostProblems(HostObservation o)
    {
        if (o.Unreachable is not null)
        {
            if (o.Expected != "down") yield return $"{o.Host} is not reachable ({o.Unreachable}), expected {o.Expected}";
            yield break;
        }
        if (o.Expected == "down") yield return $"{o.Host} answers on {o.Host.Address}, expected down";
        if (o.Error is not null) yield return $"{o.Host}: {o.Error}";
        if (o.State is not { } state) yield break;
        switch (o.Expected)
        {
            case "primary" or "replica" when state.InRecovery:
                yield return $"{o.Host} is in recovery (a standby), expected {o.Expected}";
                break;
            case "standby" when !state.InRecovery:
                yield return $"{o.Host} is not in recovery (a primary), expected standby";
                break;
        }
    }

    /// <summary>
    /// A standby counts as streaming only when its primary says so: a WAL sender row for it (client address = its
    /// inventory address, or application_name = its host name) in state streaming, on the primary's timeline, and,
    /// when <paramref name="maxLagBytes"/> is set, with a known replay lag within it.
    /// </summary>
    public static IEnumerable<string> StandbyProblems(HostObservation standby, IReadOnlyList<HostObservation> primaries, long? maxLagBytes)
    {
        if (standby.State is not { InRecovery: true } state) yield break; // unreachable or not a standby: already a host problem
        var receiver = standby.Receiver;
        if (receiver?.Status != "streaming")
            yield return $"{standby.Host} WAL receiver is {receiver?.Status ?? "not running"}, expected streaming";
        else if (primaries.Count > 0 && !primaries.Any(p => p.Host.Address == receiver.SenderHost))
            yield return $"{standby.Host} streams from {receiver.SenderHost}, expected {string.Join(" or ", primaries.Select(p => $"{p.Host} ({p.Host.Address})"))}";

        if (primaries.Count == 0)
        {
            yield return $"{standby.Host}: no host is expected primary, so its streaming cannot be confirmed in a primary's pg_stat_replication; add the primary to expect";
            yield break;
        }
        var read = primaries.Where(p => p.IsReadPrimary).ToList();
        if (read.Count == 0)
        {
            yield return $"{standby.Host}: its streaming cannot be confirmed, pg_stat_replication of {string.Join(", ", primaries.Select(p => p.Host))} could not be read";
            yield break;
        }

        var (primary, sender) = read.SelectMany(p => p.Senders.Select(s => (Primary: p, Sender: s)))
            .FirstOrDefault(x => x.Sender.ClientAddress == standby.Host.Address || x.Sender.ApplicationName == standby.Host.Name);
        if (sender is null)
        {
            var seen = read.SelectMany(p => p.Senders).Select(s => $"{s.ApplicationName}@{s.ClientAddress} {s.State}").ToList();
            yield return $"{standby.Host} ({standby.Host.Address}) has no WAL sender on {string.Join(", ", read.Select(p => p.Host))}: " +
                         $"pg_stat_replication lists {(seen.Count == 0 ? "nobody" : string.Join(", ", seen))}";
            primary = read[0];
        }
        else
        {
            if (sender.State != "streaming")
                yield return $"WAL sender for {standby.Host} on {primary.Host} is {sender.State ?? "in an unknown state"}, expected streaming";
            if (maxLagBytes is { } max && (sender.ReplayLagBytes is null || sender.ReplayLagBytes > max))
                yield return $"{standby.Host} replay lag is {sender.ReplayLagBytes?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} bytes on {primary.Host}, allowed {max}";
        }

        var primaryTimeline = primary.State!.Timeline;
        if (state.Timeline is null || primaryTimeline is null)
            yield return $"timeline unknown: {standby.Host} {Timeline(state.Timeline)}, {primary.Host} {Timeline(primaryTimeline)}";
        else if (state.Timeline != primaryTimeline)
            yield return $"{standby.Host} is on timeline {state.Timeline}, its primary {primary.Host} on timeline {primaryTimeline}";
    }

    /// <summary>
    /// A replica consumes when the provider's queue exists, the leaf's consumer is registered on it and either has
    /// applied the newest tick or lags at most <paramref name="maxLagSeconds"/>, the ticker is alive, and every table
    /// the leaf subscribes has finished its copy.
    /// </summary>
    public static IEnumerable<string> ReplicaProblems(LeafObservation o, double maxLagSeconds)
    {
        var queue = LondisteProbe.QueueFor(o.Database);
        var node = LondisteProbe.LeafNodeFor(o.Database);
        foreach (var error in o.Errors) yield return $"{o.Leaf} {o.Database}: {error}";
        if (o.Provider is null)
            yield return $"{o.Leaf} {o.Database}: no provider to check the Londiste consumer on; expect a primary (the root's host)";

        if (o.Subscription is { } s)
        {
            var provider = o.Provider!;
            if (!s.QueueExists)
                yield return $"Londiste queue {queue} does not exist on {provider} ({o.Database}): no root node there";
            else if (!s.ConsumerRegistered)
                yield return $"{o.Leaf} is not subscribed to {queue} on {provider}: no consumer for node {node}" +
                             (s.WorkerName is null ? "" : $" (worker {s.WorkerName} has no PgQ subscription)");
            else
            {
                if (!s.CaughtUp && (s.ConsumerLag is null || s.ConsumerLag.Value.TotalSeconds > maxLagSeconds))
                    yield return $"Londiste consumer {s.WorkerName} of {o.Leaf} on {queue} is {Seconds(s.ConsumerLag)} behind " +
                                 $"(last tick {s.ConsumerLastTick}, newest {s.NewestTick}, {s.PendingEvents} event(s) pending, last seen {Seconds(s.ConsumerLastSeen)} ago), " +
                                 $"allowed {maxLagSeconds.ToString(CultureInfo.InvariantCulture)} s";
                // An idle queue is ticked only every idle period, so only a silence beyond it (plus the allowance) is a dead ticker.
                if (s.TickerLag is { } ticker && ticker.TotalSeconds > (s.TickerIdlePeriod ?? TimeSpan.Zero).TotalSeconds + maxLagSeconds)
                    yield return $"pgqd has not ticked {queue} on {provider} for {Seconds(ticker)} (idle period {Seconds(s.TickerIdlePeriod)}): no change reaches {o.Leaf}";
            }
        }

        if (o.Tables is { } tables)
        {
            var subscribed = tables.Where(t => t.Local).ToList();
            if (subscribed.Count == 0)
                yield return $"{o.Leaf} {o.Database}: the leaf subscribes no table of {queue}";
            foreach (var t in subscribed.Where(t => !t.InSync))
                yield return $"table {t.Name} on {o.Leaf} ({o.Database}) is {(t.MergeState is null ? "not copied yet" : $"'{t.MergeState}'")}, not 'ok'";
        }
    }

    /// <summary>A pgbouncer is fit when it routes every replicated database (to the target, if one is set) and serves queries: paused or disabled is a problem.</summary>
    public static IEnumerable<string> PgBouncerProblems(BouncerObservation o, IReadOnlyList<string> databases, HostRef? target)
    {
        if (o.Error is not null) yield return $"pgbouncer on {o.Host}: {o.Error}";
        foreach (var db in databases)
        {
            var row = o.Databases?.FirstOrDefault(r => r.Name == db);
            if (o.Databases is not null && row is null)
                yield return $"pgbouncer on {o.Host} has no database {db}";
            if (row is { Paused: true })
                yield return $"pgbouncer on {o.Host} has {db} paused (PAUSE {db}); RESUME it first";
            if (row is { Disabled: true })
                yield return $"pgbouncer on {o.Host} has {db} disabled (DISABLE {db}); ENABLE it first";
            if (target is not null && o.Databases is not null && row?.Host != target.Address)
                yield return $"pgbouncer on {o.Host} routes {db} to {row?.Host ?? "nothing"}, expected {target} ({target.Address})";
            if (o.Served.TryGetValue(db, out var served) && !served.IsUp)
                yield return $"pgbouncer on {o.Host} does not serve {db}: a query through it {served.Failure}: {served.Message}" +
                             (served.Failure == ConnectionFailureKind.Timeout ? " (paused? a PAUSE of the whole pooler does not show in SHOW DATABASES)" : "");
        }
    }

    private static string Timeline(int? timeline) => timeline?.ToString(CultureInfo.InvariantCulture) ?? "unknown";

    private static string Seconds(TimeSpan? span) => span is { } s ? $"{s.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s" : "unknown";
}
