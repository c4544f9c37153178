using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgHa.Remote;
using PgHa.Secrets;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Activities.Fencing;

/// <summary>How often the server looks for an answer from a host with a pending fence, and how long it may take.</summary>
public sealed class FenceKeeperOptions
{
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>After the store or a host failed unexpectedly: a pause, not an error every poll.</summary>
    public TimeSpan RetryAfterError { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Identifies this server in a claim; several servers may share one store.</summary>
    public string ServerName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}

/// <summary>
/// Carries out pending fences: a fenced old master that was unreachable during the failover is stopped and its
/// pgbouncer re-pointed within one poll of answering again, before a DBA has to notice. The new primary is the
/// cluster's master as stored now. Several servers sharing a store take turns through an atomic claim.
/// </summary>
public sealed class PendingFenceKeeper(HostFences fences, ClusterDirectory clusters, SshConnectionPool pool, SecretStore secrets,
    ScriptOptions scripts, FenceKeeperOptions options, ILogger<PendingFenceKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var pause = options.PollInterval;
            try
            {
                foreach (var fence in await fences.OutstandingAsync(stoppingToken))
                    await TryCarryOutAsync(fence, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Pending fences could not be read or carried out; retrying in {Seconds} s", options.RetryAfterError.TotalSeconds);
                pause = options.RetryAfterError;
            }
            try { await Task.Delay(pause, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task TryCarryOutAsync(HostFenceRecord fence, CancellationToken ct)
    {
        var inventory = await clusters.GetAsync(fence.ClusterId, ct);
        if (inventory is null) return;
        var cluster = new ClusterHosts(inventory, pool, secrets);
        var host = cluster.Resolve(fence.Host);
        if (!await HostFencing.AnswersAsync(host, options.ProbeTimeout, ct)) return;
        if (!await fences.TryClaimAsync(fence.ClusterId, fence.Host, options.ServerName, options.Lease, ct)) return;

        var primary = cluster.Resolve("master");
        if (primary.Name == host.Name)
        {
            const string refused = "the stored inventory makes this host the master again; the pending fence was not carried out (fence it by hand or rebuild it)";
            logger.LogError("Pending fence of {Host} in cluster {ClusterId}: {Why}", host.Name, fence.ClusterId, refused);
            await fences.CompleteAsync(fence.ClusterId, fence.Host, options.ServerName, false, refused, ct);
            return;
        }

        logger.LogWarning("{Host} of cluster {ClusterId} answers again; carrying out its pending fence ({Reason}, recorded by {By})",
            host.Name, fence.ClusterId, fence.Reason, fence.RecordedBy);
        try
        {
            // Connections pooled before the host went away only look open; a command on one would wait for TCP to give up.
            pool.ForgetAddress(host.Address, host.Host.SshPort);
            var done = await HostFencing.FenceNowAsync(cluster, new ScriptDeployment(cluster, scripts), host, primary,
                $"fence-{fence.ClusterId}-{host.Name}", line => logger.LogInformation("[fence {Host}] {Line}", host.Name, line),
                change => logger.LogInformation("[fence {Host}] [change] {Change}", host.Name, change), ct);
            await fences.CompleteAsync(fence.ClusterId, fence.Host, options.ServerName, true, done, ct);
            logger.LogWarning("Pending fence of {Host} carried out: {Result}", host.Name, done);
        }
        catch (Exception e) when (e is RemoteException or InvalidOperationException or PgHa.Postgres.PgBouncer.PgBouncerAdminException)
        {
            await fences.CompleteAsync(fence.ClusterId, fence.Host, options.ServerName, false, e.Message, ct);
            logger.LogError("Pending fence of {Host} failed, retrying: {Error}", host.Name, e.Message);
        }
    }
}
