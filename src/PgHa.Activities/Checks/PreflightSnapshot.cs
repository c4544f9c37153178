namespace PgHa.Activities.Checks;

/// <summary>The <c>snapshot</c> output of <see cref="CheckCluster"/>: what was read, in the operator's terms, for the journal and later nodes.</summary>
internal static class PreflightSnapshot
{
    public static object Of(IReadOnlyList<HostObservation> hosts, IReadOnlyList<LeafObservation> leaves, IReadOnlyList<BouncerObservation> bouncers,
        IReadOnlyList<string> databases)
    {
        var hostViews = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var h in hosts)
        {
            var londiste = leaves.Where(l => l.Leaf.Name == h.Host.Name).ToDictionary(l => l.Database, Londiste, StringComparer.Ordinal);
            hostViews[h.Host.Name] = h.State is not { } state
                ? new { reachable = h.Unreachable is null, error = h.Unreachable ?? h.Error }
                : new
                {
                    reachable = true, role = state.InRecovery ? "standby" : "primary", timeline = state.Timeline,
                    currentLsn = state.CurrentLsn?.ToString(), receiveLsn = state.ReceiveLsn?.ToString(), replayLsn = state.ReplayLsn?.ToString(),
                    walReceiver = h.Receiver is null ? null : new { status = h.Receiver.Status, senderHost = h.Receiver.SenderHost, slot = h.Receiver.SlotName, timeline = h.Receiver.ReceivedTimeline },
                    replication = h.Senders.Select(s => new { client = s.ClientAddress, applicationName = s.ApplicationName, state = s.State, replayLagBytes = s.ReplayLagBytes }).ToList(),
                    londiste = londiste.Count == 0 ? null : londiste,
                };
        }

        var routes = new Dictionary<string, object>(StringComparer.Ordinal);
        var serving = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var b in bouncers)
        {
            routes[b.Host.Name] = b.Databases is null
                ? new { error = b.Error }
                : b.Databases.Where(r => databases.Contains(r.Name))
                    .ToDictionary(r => r.Name, r => $"{r.Host}:{r.Port}{(r.Paused ? " paused" : "")}{(r.Disabled ? " disabled" : "")}");
            serving[b.Host.Name] = b.Served.ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        }
        return new { hosts = hostViews, pgbouncers = routes, pgbouncerServing = serving };
    }

    private static object Londiste(LeafObservation l) => new
    {
        provider = l.Provider?.Name,
        consumer = l.Subscription is not { } s ? null : new
        {
            worker = s.WorkerName, registered = s.ConsumerRegistered, lagSeconds = s.ConsumerLag?.TotalSeconds, lastSeenSeconds = s.ConsumerLastSeen?.TotalSeconds,
            lastTick = s.ConsumerLastTick, newestTick = s.NewestTick, caughtUp = s.CaughtUp, pendingEvents = s.PendingEvents,
            tickerLagSeconds = s.TickerLag?.TotalSeconds,
        },
        tables = l.Tables?.Where(t => t.Local).Select(t => new { name = t.Name, state = t.MergeState }).ToList(),
        errors = l.Errors.Count == 0 ? null : l.Errors,
    };
}
