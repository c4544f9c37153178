using Microsoft.EntityFrameworkCore;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Workflows.Clusters;

/// <summary>
/// The fences of a cluster's hosts, in the store every server shares: an unplanned failover records one for the old
/// master; a fence the host could not receive is pending until a server carries it out (claimed atomically, so two
/// servers never act on one fence at once); a rebuilt host is cleared.
/// </summary>
public sealed class HostFences(IDbContextFactory<PgHaDbContext> contexts, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Records (or re-arms) the fence of a host; <paramref name="doneResult"/> says what was done when it was carried out already.</summary>
    public async Task RecordAsync(string clusterId, string host, string reason, string recordedBy, string? doneResult, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = _clock.GetUtcNow().UtcDateTime;
        var row = await db.HostFences.FindAsync([clusterId, host], ct);
        if (row is null)
        {
            row = new HostFenceRecord { ClusterId = clusterId, Host = host, RecordedAt = now };
            db.HostFences.Add(row);
        }
        row.Reason = reason;
        row.RecordedBy = recordedBy;
        row.State = doneResult is null ? HostFenceStates.Pending : HostFenceStates.Done;
        row.Result = doneResult ?? row.Result;
        row.CarriedOutAt = doneResult is null ? null : now;
        await db.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<HostFenceRecord>> ForClusterAsync(string clusterId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.HostFences.AsNoTracking().Where(f => f.ClusterId == clusterId).OrderBy(f => f.Host).ToListAsync(ct);
    }

    /// <summary>Fences still to carry out (pending, or failed and to be retried).</summary>
    public async Task<IReadOnlyList<HostFenceRecord>> OutstandingAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.HostFences.AsNoTracking().Where(f => f.State != HostFenceStates.Done).ToListAsync(ct);
    }

    /// <summary>Takes the fence for <paramref name="lease"/> unless another server holds it: one conditional UPDATE.</summary>
    public async Task<bool> TryClaimAsync(string clusterId, string host, string server, TimeSpan lease, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = _clock.GetUtcNow().UtcDateTime;
        var until = now + lease;
        var taken = await db.HostFences
            .Where(f => f.ClusterId == clusterId && f.Host == host && f.State != HostFenceStates.Done
                        && (f.ClaimedUntil == null || f.ClaimedUntil < now || f.ClaimedBy == server))
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.ClaimedBy, server).SetProperty(f => f.ClaimedUntil, until), ct);
        return taken == 1;
    }

    /// <summary>The claimed attempt's end: done, or failed with why (then retried by the next claim).</summary>
    public async Task CompleteAsync(string clusterId, string host, string server, bool done, string result, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = _clock.GetUtcNow().UtcDateTime;
        await db.HostFences
            .Where(f => f.ClusterId == clusterId && f.Host == host && f.ClaimedBy == server && f.State != HostFenceStates.Done)
            .ExecuteUpdateAsync(s => s
                .SetProperty(f => f.State, done ? HostFenceStates.Done : HostFenceStates.Failed)
                .SetProperty(f => f.CarriedOutAt, f => done ? now : f.CarriedOutAt)
                .SetProperty(f => f.Result, result)
                .SetProperty(f => f.Attempts, f => f.Attempts + 1)
                .SetProperty(f => f.ClaimedBy, (string?)null)
                .SetProperty(f => f.ClaimedUntil, (DateTime?)null), ct);
    }

    /// <summary>The host was rebuilt as a standby: it is no longer fenced.</summary>
    public async Task<bool> ClearAsync(string clusterId, string host, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.HostFences.Where(f => f.ClusterId == clusterId && f.Host == host).ExecuteDeleteAsync(ct) > 0;
    }
}
