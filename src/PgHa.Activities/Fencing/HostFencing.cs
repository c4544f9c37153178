using System.Net.Sockets;
using PgHa.Activities.PgBouncer;
using PgHa.Activities.Scripts;
using PgHa.Postgres.PgBouncer;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Fencing;

/// <summary>
/// What fencing a host does, in one place for FenceHost (the run) and the pending-fence keeper (the server, once the
/// host answers again): fence_host.sh stops its PostgreSQL at once and leaves it able to start only as a standby,
/// then its pgbouncer is pointed at the new primary.
/// </summary>
public static class HostFencing
{
    public const string Script = "fence_host.sh";

    /// <summary>Whether the host's SSH port accepts a TCP connection within the timeout (a partitioned host does not).</summary>
    public static async Task<bool> AnswersAsync(HostRef host, TimeSpan timeout, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(host.Address, host.Host.SshPort, bounded.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>A dry run's plan of <see cref="FenceNowAsync"/>: fence_host.sh in plan mode, the pgbouncer re-pointed, RESUME.</summary>
    public static async Task PlanAsync(ClusterHosts cluster, HostRef host, HostRef newPrimary, Action<string> log, ActivityContext context)
    {
        await HostScript.For(cluster, context).PlanOrThrowAsync(host, Script, [newPrimary.Address], TimeSpan.FromSeconds(60), log, context);
        await SwitchPgBouncer.PlanPointAtAsync(cluster, host, newPrimary, pauseAround: false, log, context);
        context.Plan($"{host.Name}: {Resume}");
    }

    private const string Resume = "RESUME on the admin console (its split-brain guard may have paused it)";

    /// <summary>Fences the host now; returns what was done, for the journal and the fence record.</summary>
    public static async Task<string> FenceNowAsync(ClusterHosts cluster, ScriptDeployment deployment, HostRef host, HostRef newPrimary,
        string attemptKey, Action<string> log, Action<string> recorded, CancellationToken ct)
    {
        var scripts = new HostScript(cluster, deployment);
        var fencing = scripts.RunAsync(host, HostAccount.Deploy, Script, [newPrimary.Address], new Dictionary<string, string>(),
            TimeSpan.FromSeconds(60), log, ct, attemptKey, recorded);
        // At the same time: with PostgreSQL stopping there, this pgbouncer has nothing to send writes to either way.
        var repointing = SwitchPgBouncer.PointAtAsync(cluster, host, newPrimary, log, recorded, ct);
        await Task.WhenAll(fencing, repointing);
        var result = await fencing;
        if (!result.Succeeded) throw new InvalidOperationException($"{Script} on {host.Name} exited with {result.ExitCode}: {result.StdErrTail}");
        // Its split-brain guard may have paused it while the host was cut off; its clients go to the new primary now.
        try
        {
            await cluster.PgBouncerAdmin(host).ResumeAsync(null, ct);
            log("RESUME (pgbouncer had been paused, by its split-brain guard)");
            recorded(Resume);
        }
        catch (PgBouncerAdminException e) when (PgBouncerRoutes.IsAlreadyInState(e)) { }
        return $"PostgreSQL on {host.Name} stopped (it ran as {result.Value("wasRunningAs", Script)}; data directory {result.Value("dataDirectory", Script)}, " +
               $"it can start only as a standby of {newPrimary.Name}); its pgbouncer routes to {newPrimary.Name} ({newPrimary.Address})";
    }
}
