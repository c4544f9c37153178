using System.ComponentModel;
using Npgsql;
using PgHa.Postgres;
using PgHa.Postgres.PgBouncer;
using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.PgBouncer;

public sealed record SwitchPgBouncerInput
{
    [Description("Roles or host names whose pgbouncer is switched, e.g. [\"master\", \"slave\"].")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required IReadOnlyList<string> PgbouncerHosts { get; init; }

    [Description("Role or host name of the PostgreSQL server pgbouncer must send clients to.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required string Target { get; init; }

    [Description("reload: rewrite [databases] and RELOAD. pause: PAUSE, rewrite, RELOAD, RESUME in one step (no client sees the old server after the switch). paused: pgbouncer was paused by PausePgBouncer; rewrite and RELOAD only, and ResumePgBouncer verifies the route.")]
    public string Mode { get; init; } = "reload";

    [Description("Seconds PAUSE may wait for running transactions to finish.")]
    public int DrainTimeoutSeconds { get; init; } = 30;

    [Description("Seconds the route verification may take per pgbouncer.")]
    public int VerifyTimeoutSeconds { get; init; } = 20;
}

[Activity("SwitchPgBouncer", Description = "Points each pgbouncer's [databases] at the target (atomic write), starts or RELOADs it (optionally inside PAUSE/RESUME), then verifies the route by connecting through it.",
    Category = "PgBouncer", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("target", "Address pgbouncer now routes to.")]
[ActivityOutput("routes", "pgbouncer host → { serverAddress, inRecovery, wrote, changed, started } per database.")]
public sealed class SwitchPgBouncer : Activity<SwitchPgBouncerInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(SwitchPgBouncerInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> bouncers;
        HostRef target;
        string ini;
        try
        {
            cluster = ClusterHosts.For(context);
            bouncers = cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts");
            target = cluster.Resolve(input.Target);
            if (input.Mode is not ("reload" or "pause" or "paused")) throw new ActivityInputException($"mode: '{input.Mode}' must be reload, pause or paused");
            ini = PgBouncerLayout.Config(cluster.Inventory, target.Address).RenderIni();
        }
        catch (Exception e) when (e is ActivityInputException or ArgumentException) { return ActivityResult.Failed(e.Message); }

        context.Log($"target {target} = {target.Address}:{cluster.Inventory.Ports.Postgres}; mode {input.Mode}");
        var results = await HostFanOut.RunAsync(bouncers, context, (host, log) =>
            SwitchOneAsync(cluster, host, target, ini, input, context, log));
        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new { target = target.Address, routes = ok.ToDictionary(r => r.Host.Name, r => r.Value) };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }

    private static async Task<object> SwitchOneAsync(ClusterHosts cluster, HostRef host, HostRef target, string ini,
        SwitchPgBouncerInput input, ActivityContext context, Action<string> log)
    {
        var ct = context.CancellationToken;
        var inventory = cluster.Inventory;
        var remote = cluster.Remote(host, HostAccount.Deploy);
        var iniPath = PgBouncerLayout.IniFile(inventory);
        if (context.DryRun) return new { changed = await PlanPointAtAsync(cluster, host, target, input.Mode == "pause", log, context), started = false, verified = false };

        var recorded = Scripts.HostScript.RecordChanges(context, host);
        // pgbouncer reads the file only at RELOAD (or start), so it is written first, in the same round trip as the check.
        var (running, changed) = await EnsureIniAsync(remote, inventory, iniPath, ini, target, log, recorded, ct);
        bool started;
        if (running && input.Mode == "pause")
        {
            var admin = cluster.PgBouncerAdmin(host);
            started = false;
            // A server connection PAUSE closes mid-login counts as a failed login (clients then wait server_login_retry);
            // a pool that already has an idle one has nothing logging in when PAUSE arrives.
            foreach (var db in inventory.Databases) await PgBouncerRoutes.RouteAsync(cluster, host, db, ct);
            log("PAUSE");
            await admin.PauseAsync(null, TimeSpan.FromSeconds(Math.Max(1, input.DrainTimeoutSeconds)), ct);
            IReadOnlyList<PgBouncerDatabase> shown;
            try
            {
                log("RELOAD");
                shown = await admin.ReloadAsync(ct);
            }
            finally
            {
                // Never leave clients paused, even when the write or reload failed.
                log("RESUME");
                await admin.ResumeAsync(null, CancellationToken.None);
                recorded(PauseReloadResume);
            }
            PgBouncerRoutes.RequireConfigured(cluster, host, target, shown);
        }
        else started = await PointAtAsync(cluster, host, target, running, changed, log, recorded, ct);
        if (input.Mode == "paused")
        {
            // A client connecting now would wait for RESUME; ResumePgBouncer (expectTarget) verifies the route through it.
            log($"SHOW DATABASES routes every database to {target.Address}; pgbouncer stays paused");
            return new { changed, started, verified = (object?)null };
        }
        var verified = await PgBouncerRoutes.VerifyAsync(cluster, host, target, TimeSpan.FromSeconds(Math.Max(1, input.VerifyTimeoutSeconds)),
            $"pgha-switch-{context.RunId}-{context.NodeId}", log, ct);
        return new { changed, started, verified };
    }

    /// <summary>A dry run's plan for pointing one pgbouncer at the target: the [databases] it would write, then RELOAD or a start; true when the ini differs.</summary>
    internal static async Task<bool> PlanPointAtAsync(ClusterHosts cluster, HostRef host, HostRef target, bool pauseAround, Action<string> log, ActivityContext context)
    {
        var inventory = cluster.Inventory;
        var iniPath = PgBouncerLayout.IniFile(inventory);
        var config = PgBouncerLayout.Config(inventory, target.Address);
        var (wasRunning, current) = await ReadStateAsync(cluster.Remote(host, HostAccount.Deploy), inventory, iniPath, context.CancellationToken);
        var differs = current != config.RenderIni();
        log($"{iniPath}: {(differs ? "needs the new [databases]" : "already points at " + target.Address)}; pgbouncer {(wasRunning ? "running" : "not running")}");
        if (differs) context.Plan($"{host.Name}: {IniChange(iniPath, config)}");
        context.Plan($"{host.Name}: {(wasRunning ? pauseAround ? PauseReloadResume : Reload : StartChange(inventory))}");
        return differs;
    }

    // The words of a change, the same in a dry run's plan and in a real run's journal.
    private const string PauseReloadResume = "PAUSE, RELOAD, RESUME on the admin console";
    private const string Reload = "RELOAD on the admin console";
    private static string IniChange(string iniPath, PgBouncerConfig config) => $"write {iniPath} with\n{config.RenderDatabasesSection()}";
    private static string StartChange(PgHa.Clusters.ClusterInventory inventory) => $"start {PgBouncerLayout.Binary} -d {PgBouncerLayout.IniFile(inventory)}";

    /// <summary>
    /// Points one pgbouncer at the target without asking a client to write through it (the target may still be a
    /// standby, e.g. while a failover fences the old master): rewrite and RELOAD, or start it; SHOW DATABASES must agree.
    /// </summary>
    internal static async Task<bool> PointAtAsync(ClusterHosts cluster, HostRef host, HostRef target, Action<string> log, Action<string> recorded, CancellationToken ct)
    {
        var ini = PgBouncerLayout.Config(cluster.Inventory, target.Address).RenderIni();
        var (running, changed) = await EnsureIniAsync(cluster.Remote(host, HostAccount.Deploy), cluster.Inventory, PgBouncerLayout.IniFile(cluster.Inventory), ini, target,
            log, recorded, ct);
        return await PointAtAsync(cluster, host, target, running, changed, log, recorded, ct);
    }

    private static async Task<bool> PointAtAsync(ClusterHosts cluster, HostRef host, HostRef target, bool running, bool changed,
        Action<string> log, Action<string> recorded, CancellationToken ct)
    {
        if (!running)
        {
            var start = new RemoteCommand { Program = PgBouncerLayout.Binary, Arguments = ["-d", PgBouncerLayout.IniFile(cluster.Inventory)], Timeout = TimeSpan.FromSeconds(30) };
            log("$ " + start.Describe());
            await cluster.Remote(host, HostAccount.Deploy).RunAsync(start, line => log(line.Text), ct);
            recorded(StartChange(cluster.Inventory));
            await WaitForAdminAsync(cluster.PgBouncerAdmin(host), TimeSpan.FromSeconds(15), ct);
            await PgBouncerRoutes.RequireConfiguredAsync(cluster, host, target, ct);
            return true;
        }
        var admin = cluster.PgBouncerAdmin(host);
        var shown = changed ? null : await admin.ShowDatabasesAsync(ct);
        // Also when only the RELOAD is missing: an attempt that died between writing the ini and RELOAD left it so.
        if (shown is null || !PgBouncerRoutes.IsConfigured(cluster, host, target, shown))
        {
            log("RELOAD");
            shown = await admin.ReloadAsync(ct);
            recorded(Reload);
        }
        PgBouncerRoutes.RequireConfigured(cluster, host, target, shown);
        return false;
    }

    // One round trip (it may run inside a pause): is pgbouncer running, and what does its ini say now.
    private static async Task<(bool Running, string? Ini)> ReadStateAsync(RemoteHost remote, PgHa.Clusters.ClusterInventory inventory, string iniPath, CancellationToken ct)
    {
        var result = await remote.RunAsync(RemoteCommand.Bash(
            RunningProbe(inventory) + "\n" +
            $"cat -- {ShellQuoting.Quote(iniPath)} 2>/dev/null || echo PGHA_NO_INI") with { Timeout = TimeSpan.FromSeconds(30) }, null, ct);
        var firstLine = result.StdOut.IndexOf('\n');
        var rest = firstLine < 0 ? "" : result.StdOut[(firstLine + 1)..];
        return (result.StdOut.StartsWith("running\n", StringComparison.Ordinal), rest.EndsWith("PGHA_NO_INI\n", StringComparison.Ordinal) ? null : rest);
    }

    // One round trip (it may run inside a pause): is pgbouncer running, and the ini written as temp file + rename (so
    // pgbouncer never reads half a config) unless it already holds exactly this. The renderer refuses line breaks inside
    // values, so no line of the ini can end the here-document early.
    private static async Task<(bool Running, bool Changed)> EnsureIniAsync(RemoteHost remote, PgHa.Clusters.ClusterInventory inventory, string iniPath, string ini,
        HostRef target, Action<string> log, Action<string> recorded, CancellationToken ct)
    {
        var file = ShellQuoting.Quote(iniPath);
        var temporary = ShellQuoting.Quote(Path.GetDirectoryName(iniPath) + "/.pgbouncer.ini.") + "$$";
        // Bash builtins only, apart from mv: this runs inside the pause, where every process costs clients milliseconds.
        var result = await remote.RunAsync(RemoteCommand.Bash(
            RunningProbe(inventory) + "\n" +
            $"IFS= read -r -d '' new <<'PGHA_INI' || true\n{ini}PGHA_INI\n" +
            $"current=''; [ -e {file} ] && {{ IFS= read -r -d '' current <{file} || true; }}\n" +
            $"if [ -e {file} ] && [ \"$current\" = \"$new\" ]; then echo same; else umask 027 && printf '%s' \"$new\" >{temporary} && mv -f -- {temporary} {file} && echo wrote; fi\n")
            with { Timeout = TimeSpan.FromSeconds(30) }, null, ct);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines is not [var state, var written])
            throw new InvalidOperationException($"writing {iniPath} on {remote.Name} answered '{result.StdOut.Trim()}', not its state and whether it wrote");
        var running = state == "running";
        var changed = written == "wrote";
        log($"{iniPath}: {(changed ? "wrote the new [databases]" : "already points at " + target.Address)}; pgbouncer {(running ? "running" : "not running")}");
        if (changed) recorded(IniChange(iniPath, PgBouncerLayout.Config(inventory, target.Address)));
        return (running, changed);
    }

    // Prints running or stopped: the pid file names a live pgbouncer process.
    private static string RunningProbe(PgHa.Clusters.ClusterInventory inventory)
    {
        var pid = ShellQuoting.Quote(PgBouncerLayout.PidFile(inventory));
        return $"if read -r pid 2>/dev/null <{pid} && [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null && IFS= read -r -d '' program 2>/dev/null <\"/proc/$pid/cmdline\" " +
               "&& [[ \"$program\" == *pgbouncer* ]]; then echo running; else echo stopped; fi";
    }

    private static async Task WaitForAdminAsync(PgBouncerAdmin admin, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await admin.ShowVersionAsync(ct);
                return;
            }
            catch (PgBouncerAdminException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(300, ct);
            }
        }
    }
}
