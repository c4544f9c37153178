using System.Diagnostics;
using System.Text.Json;
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
    public ClusterInventory Inventory { get; private set; } = null!;
    public Dictionary<string, string> SecretValues { get; private set; } = null!;
    public SshConnectionPool Pool { get; } = new(new SecretRedactor());
    private string _directory = "";
    private IDisposable? _use;

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        var up = await Lab.UpAsync();
        Console.WriteLine($"[lab] up in {clock.Elapsed.TotalSeconds:0.0} s (already up: {up.AlreadyUp})");
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

        foreach (var id in new[] { "environment-preparation", "deployment-preparation", "deployment" })
            await Runtime.Runbooks.SaveAsync(await File.ReadAllTextAsync(Path.Combine(WorkflowsDirectory(), id + ".json")), "test", asNextVersion: false, published: true);
        Inventory = (await Services.GetRequiredService<ClusterDirectory>().ImportAsync(await File.ReadAllTextAsync(Lab.InventoryFile), "test")).Inventory;
        SecretValues = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Lab.SecretsFile))!;
    }

    internal static string WorkflowsDirectory() => Path.GetDirectoryName(new ScriptOptions().ResolveScriptsDirectory())!;

    public string Secret(string purpose) => SecretValues[Inventory.Secrets[purpose]];

    public RemoteHost Host(string role, string user = "silkcloud")
    {
        var host = Inventory.HostForRole(role)!;
        return Pool.Host(Lab.Target(host.Name, user));
    }

    public async Task<(RunView Run, TimeSpan Took)> RunAsync(string runbook, TimeSpan timeout, bool dryRun = false)
    {
        var clock = Stopwatch.StartNew();
        var started = await Runtime.StartRunAsync(new StartRunRequest { RunbookId = runbook, ClusterId = "lab", StartedBy = "e2e", DryRun = dryRun });
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

    /// <summary>The seed's preparation and deployment runbooks, in order, each to completion.</summary>
    public async Task DeployAsync()
    {
        foreach (var runbook in new[] { "environment-preparation", "deployment-preparation", "deployment" })
        {
            var (run, _) = await RunAsync(runbook, TimeSpan.FromMinutes(10));
            if (run.Run.Status != RunStatus.Completed) throw new InvalidOperationException($"{runbook}: {run.Run.Status}\n" + JournalText(run));
        }
    }

    public async Task DisposeAsync()
    {
        if (Services is not null) await Services.GetRequiredService<PendingFenceKeeper>().StopAsync(CancellationToken.None);
        if (Runtime is not null) await Runtime.StopAsync(CancellationToken.None);
        if (Services is not null) await Services.DisposeAsync();
        Pool.Dispose();
        _use?.Dispose();
        var down = await Lab.DownAsync();
        Console.WriteLine($"[lab] down: {down}");
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
