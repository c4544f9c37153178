using System.Collections.Concurrent;
using Medallion.Threading.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
// Medallion has an IDistributedLockProvider of its own; only WorkflowCore's is meant here.
using WorkflowLockProvider = WorkflowCore.Interface.IDistributedLockProvider;

namespace PgHa.Workflows.Store;

/// <summary>
/// WorkflowCore's distributed lock on PostgreSQL session-level advisory locks (DistributedLock.Postgres in
/// connection-string mode, which multiplexes many held locks over few connections). A try-lock never waits: a lock
/// held anywhere else is refused at once and WorkflowCore retries on its next poll. A lock lives as long as its
/// database session, so a node that crashes or loses its connection releases every lock it held immediately
/// (no lease to expire); the workflow row version remains the second line of defence against two writers.
/// <para>
/// Operational rules (design D.9):
/// the lock connection must NOT go through a PgBouncer in transaction (or statement) pooling mode: session advisory
/// locks would be taken on one server session and "released" on another, and the pooler hands the locked session to
/// other clients. Connect directly or through session pooling.
/// The engine's database must NOT be a cluster that the engine itself fails over or reconfigures: a switchover of
/// that cluster drops every lock session (and the store) in the middle of the runbook doing it.
/// </para>
/// </summary>
public sealed class PostgresAdvisoryLockProvider : WorkflowLockProvider, IAsyncDisposable
{
    private readonly PostgresDistributedSynchronizationProvider _locks;
    private readonly ILogger _logger;

    // Reserved before the database is asked, so two local callers for one id cannot both go to the server; the
    // handle is filled in once acquired.
    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);

    private sealed class Held
    {
        public volatile PostgresDistributedLockHandle? Handle;
    }

    public PostgresAdvisoryLockProvider(string connectionString, TimeSpan keepaliveCadence, ILogger<PostgresAdvisoryLockProvider>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _locks = new PostgresDistributedSynchronizationProvider(connectionString, o => o
            .UseMultiplexing(true)
            .KeepaliveCadence(keepaliveCadence));
    }

    public async Task<bool> AcquireLock(string Id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(Id);
        var held = new Held();
        // Held by this node already: refused, as WorkflowCore's single-node provider does. Every holder releases in a
        // finally, also after its session died. (The handle's HandleLostToken is not used to spot a dead session: it
        // starts DistributedLock's connection monitoring, a query kept running on the shared lock connection that every
        // other acquire or release on that connection must cancel first.)
        if (!_held.TryAdd(Id, held)) return false;

        try
        {
            // Ids longer than an advisory key are hashed to 64 bits; a collision only makes a lock look busy.
            var handle = await _locks.CreateLock(new PostgresAdvisoryLockKey(Id, allowHashing: true))
                .TryAcquireAsync(TimeSpan.Zero, cancellationToken);
            if (handle is null)
            {
                _held.TryRemove(new KeyValuePair<string, Held>(Id, held));
                return false;
            }
            held.Handle = handle;
            return true;
        }
        catch
        {
            _held.TryRemove(new KeyValuePair<string, Held>(Id, held));
            throw;
        }
    }

    public async Task ReleaseLock(string Id)
    {
        if (_held.TryRemove(Id, out var held) && held.Handle is { } handle)
            await DisposeQuietly(Id, handle);
    }

    public Task Start() => Task.CompletedTask;

    /// <summary>Releases every lock this node holds (the host is stopping).</summary>
    public async Task Stop()
    {
        foreach (var id in _held.Keys.ToList())
            await ReleaseLock(id);
    }

    public async ValueTask DisposeAsync() => await Stop();

    private async Task DisposeQuietly(string id, PostgresDistributedLockHandle handle)
    {
        try
        {
            await handle.DisposeAsync();
        }
        catch (Exception ex)
        {
            // The session is gone (network, server restart): the server has already released the lock with it.
            _logger.LogWarning(ex, "Releasing advisory lock {LockId} failed; its session is gone, so the server released it", id);
        }
    }
}
