using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Activities.Fencing;
using PgHa.Clusters;
using PgHa.Lab;
using PgHa.Remote;
using PgHa.Secrets;
using PgHa.Workflows;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Activities.Tests;

/// <summary>
/// The real three-host lab (up is idempotent; down at the end) and an in-process engine with the HA activities,
/// the lab's secrets file and the lab inventory imported as cluster "lab".
/// </summary>
public sealed class LabDeploymentFixture : IAsyncLifetime
{
    public LocalLab Lab { get; } = new(new LabOptions());
    public ServiceProvider Services { get; private set; } = null!;
    public RunbookRuntime Runtime { get; private set; } = null!;
    public ClusterDirectory Clusters => Services.GetRequiredService<ClusterDirectory>();
    public ClusterInventory Inventory { get; private set; } = null!;
    public Dictionary<string, string> SecretValues { get; private set; } = null!;
    public SshConnectionPool Pool { get; } = new(new SecretRedactor());
    private string _directory = "";
    private IDisposable? _use;
    private LabUpResult? _up;
    private Task? _deployed;

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        _up = await Lab.UpAsync();
        Console.WriteLine($"[lab] up in {clock.Elapsed.TotalSeconds:0.0} s (already up: {_up.AlreadyUp})");
        _use = await Lab.UseAsync(); // another process's `lab down` now waits until these tests are done

        _directory = Directory.CreateTempSubdirectory("pgha-activities-e2e-").FullName;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddRunbookEngine(Path.Combine(_directory, "pgha.db"), o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.SecretsFile = Lab.SecretsFile;
        });
        services.AddPostgresHaActivities();
        Services = services.BuildServiceProvider();
        Runtime = Services.GetRequiredService<RunbookRuntime>();
        await Runtime.StartAsync(CancellationToken.None);
        // The server runs it as a hosted service: pending fences are carried out while the tests run.
        await Services.GetRequiredService<PendingFenceKeeper>().StartAsync(CancellationToken.None);

        foreach (var id in new[] { "environment-preparation", "deployment-preparation", "deployment", "planned-failover" })
            await Runtime.Runbooks.SaveAsync(await File.ReadAllTextAsync(Path.Combine(WorkflowsDirectory(), id + ".json")), "test", asNextVersion: false, published: true);
        Inventory = (await Services.GetRequiredService<ClusterDirectory>().ImportAsync(await File.ReadAllTextAsync(Lab.InventoryFile), "test")).Inventory;
        SecretValues = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Lab.SecretsFile))!;
    }

    internal static string WorkflowsDirectory() => Path.GetDirectoryName(new ScriptOptions().ResolveScriptsDirectory())!;

    public string Secret(string purpose) => SecretValues[Inventory.Secrets[purpose]];

    /// <summary>What a DBA compares before and after (see <see cref="HostState"/>), per role.</summary>
    public Task<IReadOnlyDictionary<string, string>> HostStateAsync() => HostState.ReadAsync(Inventory, role => Host(role, "devops"), Secret);

    public RemoteHost Host(string role, string user = "silkcloud")
    {
        var host = Inventory.HostForRole(role)!;
        return Pool.Host(Lab.Target(host.Name, user));
    }

    /// <summary>
    /// A deployed cluster for the tests that need one: the three deployment runbooks, once per fixture, unless the lab
    /// was already up with a cluster a DBA would call deployed (master primary with the slave streaming from it).
    /// </summary>
    public Task EnsureDeployedAsync() => _deployed ??= DeployUnlessDeployedAsync();

    private async Task DeployUnlessDeployedAsync()
    {
        if (_up!.AlreadyUp && await LooksDeployedAsync())
        {
            Console.WriteLine("[lab] already deployed: master primary, slave streaming from it");
            return;
        }
        foreach (var runbook in new[] { "environment-preparation", "deployment-preparation", "deployment" })
        {
            var (run, _) = await RunAsync(runbook, TimeSpan.FromMinutes(10));
            if (run.Run.Status != RunStatus.Completed) throw new InvalidOperationException($"{runbook} did not complete: " + JournalText(run));
        }
    }

    private async Task<bool> LooksDeployedAsync()
    {
        try
        {
            var slave = Inventory.HostForRole("slave")!.Address;
            return await PsqlAsync("master", $"SELECT NOT pg_is_in_recovery() AND EXISTS (SELECT FROM pg_stat_replication WHERE host(client_addr) = '{slave}' AND state = 'streaming')") == "t";
        }
        catch (RemoteException) { return false; }
    }

    /// <summary>What psql as silkcloud on a host says (peer authentication over the socket), not the product's probes.</summary>
    public async Task<string> PsqlAsync(string role, string sql) =>
        (await Host(role).ReadAsync(RemoteCommand.Run("psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c", sql))).Trim();

    public Task<RunView> StartAsync(string runbook, bool dryRun = false, IReadOnlyDictionary<string, JsonElement>? inputs = null) =>
        Runtime.StartRunAsync(new StartRunRequest { RunbookId = runbook, ClusterId = "lab", StartedBy = "e2e", DryRun = dryRun, Inputs = inputs ?? new Dictionary<string, JsonElement>() });

    /// <summary>Polls the run until <paramref name="reached"/> holds (or it ends, when <paramref name="reached"/> is null).</summary>
    public async Task<RunView> WaitForAsync(string runId, TimeSpan timeout, Func<RunView, bool>? reached = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await Runtime.GetRunAsync(runId);
            if (run is not null && (reached ?? (r => RunStatus.IsFinished(r.Run.Status)))(run)) return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"run {runId} did not get there within {timeout}: {run?.Run.Status}");
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// Sets the cluster setting pgbouncerPoolMode and applies it: a reload-mode switch of both pgbouncers to the
    /// current master rewrites their pgbouncer.ini with it.
    /// </summary>
    public async Task SetPoolModeAsync(string mode)
    {
        var inventory = JsonNode.Parse((await Clusters.ExportAsync("lab"))!)!.AsObject();
        var settings = inventory["settings"] as JsonObject ?? new JsonObject();
        settings["pgbouncerPoolMode"] = mode;
        inventory["settings"] = settings;
        await Clusters.ImportAsync(inventory.ToJsonString(), "e2e");
        await Runtime.Runbooks.SaveAsync($$"""
            { "id": "e2e-pool-mode-{{mode}}", "version": 1, "name": "pgbouncers in {{mode}} pooling", "start": "switch",
              "nodes": [ { "id": "switch", "activity": "SwitchPgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "target": "master", "mode": "reload" } } ],
              "connections": [] }
            """, "e2e", asNextVersion: false, published: true);
        var (run, _) = await RunAsync($"e2e-pool-mode-{mode}", TimeSpan.FromMinutes(2));
        if (run.Run.Status != RunStatus.Completed) throw new InvalidOperationException($"pool mode {mode}: " + JournalText(run));
    }

    public async Task<(RunView Run, TimeSpan Took)> RunAsync(string runbook, TimeSpan timeout, bool dryRun = false,
        IReadOnlyDictionary<string, JsonElement>? inputs = null)
    {
        var clock = Stopwatch.StartNew();
        var started = await StartAsync(runbook, dryRun, inputs);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await Runtime.GetRunAsync(started.Run.RunId);
            // The operator's part: approve what the runbook asks for (e.g. purging the hosts), as a second person.
            foreach (var open in run?.Approvals.Where(a => a.Decision is null) ?? [])
            {
                Console.WriteLine($"[runbook] {runbook}: approving '{open.NodeId}': {open.Prompt}");
                await Runtime.DecideAsync(open.RunId, open.NodeId, ApprovalChoice.Approve, new Decider("e2e-approver", ["approver"]), "approved by the test");
            }
            if (run is not null && RunStatus.IsFinished(run.Run.Status))
            {
                clock.Stop();
                Console.WriteLine($"[runbook] {runbook}: {run.Run.Status} in {clock.Elapsed.TotalSeconds:0.0} s");
                foreach (var node in run.Nodes)
                    Console.WriteLine($"    {node.NodeId,-24} {node.State,-10} {((node.EndedAt - node.StartedAt)?.TotalSeconds ?? 0),6:0.0} s {node.Error}");
                return (run, clock.Elapsed);
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{runbook} did not end within {timeout}");
            await Task.Delay(250);
        }
    }

    public static string JournalText(RunView run) =>
        string.Join("\n", run.Journal.Select(j => $"--- {j.NodeId} #{j.Attempt} {j.Status} {j.Outcome} {j.Error}\n{j.Log}"));

    public async Task DisposeAsync()
    {
        if (Services is not null) await Services.GetRequiredService<PendingFenceKeeper>().StopAsync(CancellationToken.None);
        if (Runtime is not null) await Runtime.StopAsync(CancellationToken.None);
        if (Services is not null) await Services.DisposeAsync();
        Pool.Dispose();
        _use?.Dispose();
        // PGHA_KEEP_LAB=1 (benchmarks, by hand): leave the deployed lab up for a look, or for the next run to reuse.
        if (Environment.GetEnvironmentVariable("PGHA_KEEP_LAB") == "1") Console.WriteLine("[lab] left up (PGHA_KEEP_LAB=1)");
        else Console.WriteLine($"[lab] down: {await Lab.DownAsync()}");
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
