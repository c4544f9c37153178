using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Checks;

/// <summary>The reading half of <see cref="CheckCluster"/>: read-only probes as the application role, each logged to the journal.</summary>
internal sealed class ClusterReader(ClusterHosts cluster, ActivityContext context)
{
    private readonly PostgresProbe _probe = new();
    private readonly LondisteProbe _londiste = new();

    private CancellationToken Ct => context.CancellationToken;

    public async Task<HostObservation> ReadHostAsync(HostRef host, string expected)
    {
        var endpoint = cluster.AppEndpoint(host, cluster.Inventory.Databases[0]);
        var reach = await _probe.IsUpAsync(endpoint, Ct);
        if (!reach.IsUp)
        {
            context.Log($"{host}: unreachable ({reach})");
            return new HostObservation(host, expected) { Unreachable = $"{reach.Failure}: {reach.Message}" };
        }
        try
        {
            var state = await _probe.GetServerStateAsync(endpoint, Ct);
            var receiver = state.InRecovery ? await _probe.GetWalReceiverAsync(endpoint, Ct) : null;
            var senders = state.InRecovery ? [] : await _probe.GetReplicationAsync(endpoint, Ct);
            context.Log($"{host}: {(state.InRecovery ? "standby" : "primary")} timeline {state.Timeline} " +
                        (state.InRecovery
                            ? $"receive {state.ReceiveLsn} replay {state.ReplayLsn}; wal receiver {receiver?.Status ?? "none"} from {receiver?.SenderHost}"
                            : $"at {state.CurrentLsn}; {senders.Count} WAL sender(s): " +
                              string.Join(", ", senders.Select(s => $"{s.ApplicationName}@{s.ClientAddress} {s.State} replay lag {s.ReplayLagBytes} B"))));
            return new HostObservation(host, expected) { State = state, Receiver = receiver, Senders = senders };
        }
        catch (PostgresProbeException e)
        {
            return new HostObservation(host, expected) { Error = e.Message };
        }
    }

    /// <summary>The leaf's side (table states, on the leaf) and the provider's side (queue, ticker, consumer) of one replicated database.</summary>
    public async Task<LeafObservation> ReadLeafAsync(HostRef leaf, string database, HostRef? provider)
    {
        var queue = LondisteProbe.QueueFor(database);
        var errors = new List<string>();
        LondisteSubscription? subscription = null;
        IReadOnlyList<LondisteTable>? tables = null;
        if (provider is not null)
        {
            try { subscription = await _londiste.GetSubscriptionAsync(cluster.AppEndpoint(provider, database), queue, LondisteProbe.LeafNodeFor(database), Ct); }
            catch (PostgresProbeException e)
            {
                errors.Add(e.SqlState == "42501" ? $"{e.Message}; the application role needs pgq_reader or pgq_writer on {provider}" : e.Message);
            }
        }
        try { tables = await _londiste.GetTablesAsync(cluster.AppEndpoint(leaf, database), queue, Ct); }
        catch (PostgresProbeException e)
        {
            errors.Add(e.SqlState == "42P01" ? $"{e.Message}; Londiste is not installed in {database} on {leaf}" : e.Message);
        }

        if (subscription is { } s)
            context.Log($"{leaf} {database}: consumer {s.WorkerName ?? "none"} on {queue} at {provider}: lag {s.ConsumerLag?.TotalSeconds:0.#} s, " +
                        $"last tick {s.ConsumerLastTick}, newest {s.NewestTick}, {(s.CaughtUp ? "caught up" : $"{s.PendingEvents} event(s) pending")}, " +
                        $"ticker last ticked {s.TickerLag?.TotalSeconds:0.#} s ago");
        if (tables is not null)
            context.Log($"{leaf} {database}: tables " + (tables.Count == 0 ? "none" : string.Join(", ", tables.Select(t => $"{t.Name} {(t.Local ? t.MergeState ?? "not copied" : "not subscribed")}"))));
        return new LeafObservation(leaf, database, provider) { Subscription = subscription, Tables = tables, Errors = errors };
    }

    /// <summary>SHOW DATABASES, then a query through the pooler to every replicated database: pgbouncer 1.18 shows a global PAUSE nowhere else.</summary>
    public async Task<BouncerObservation> ReadPgBouncerAsync(HostRef bouncer)
    {
        IReadOnlyList<PgBouncerDatabase> rows;
        try { rows = await cluster.PgBouncerAdmin(bouncer).ShowDatabasesAsync(Ct); }
        catch (PgBouncerAdminException e)
        {
            context.Log($"pgbouncer {bouncer}: {e.Message}");
            return new BouncerObservation(bouncer) { Error = e.Message };
        }
        var served = new Dictionary<string, Reachability>(StringComparer.Ordinal);
        foreach (var db in cluster.Inventory.Databases)
            served[db] = await _probe.IsUpAsync(cluster.AppEndpoint(bouncer, db, throughPgBouncer: true), Ct);
        context.Log($"pgbouncer {bouncer}: " + string.Join(", ", rows.Where(r => cluster.Inventory.Databases.Contains(r.Name))
            .Select(r => $"{r.Name} -> {r.Host}:{r.Port}{(r.Paused ? " paused" : "")}{(r.Disabled ? " disabled" : "")}, query {(served.TryGetValue(r.Name, out var s) ? s.ToString() : "not tried")}")));
        return new BouncerObservation(bouncer) { Databases = rows, Served = served };
    }
}
