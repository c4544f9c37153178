using System.Net.Http.Headers;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using PgHa.Lab;
using PgHa.Remote;

namespace PgHa.Server.Tests;

/// <summary>
/// The crash tests' setting: the lab up, a real server process (<see cref="ServerProcess"/>) on a store in a temporary
/// folder with the lab cluster imported, an operator's and an approver's key. The process is SIGKILLed at a chosen
/// event of a run's event stream and a new one is started on the same store.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ServerOnTheLab : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-crash-").FullName;
    private IDisposable? _use;
    private string _operator = "", _approver = "";

    private ServerOnTheLab()
    {
    }

    public LocalLab Lab { get; } = new(new LabOptions());
    public SshConnectionPool Pool { get; } = new(new PgHa.Secrets.SecretRedactor());
    public Dictionary<string, string> Secrets { get; private set; } = null!;
    public ServerProcess Server { get; private set; } = null!;

    /// <summary>The repository's workflows/ folder: the runbooks the server loads, the scripts it runs on the hosts.</summary>
    public static string WorkflowsDirectory => Path.GetDirectoryName(new PgHa.Activities.ScriptOptions().ResolveScriptsDirectory())!;

    public static async Task<ServerOnTheLab> StartAsync()
    {
        var lab = new ServerOnTheLab();
        await lab.Lab.UpAsync();
        lab._use = await lab.Lab.UseAsync();
        lab.Secrets = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(lab.Lab.SecretsFile))!;
        var keys = new Auth.ApiKeyFile(Path.Combine(lab._directory, "api-keys.json"));
        lab._operator = keys.Create("olga", "operator");
        lab._approver = keys.Create("bob", "approver");
        await lab.RestartAsync();
        using var op = lab.Operator();
        var imported = await op.PostAsync("api/clusters", Http.Json(await File.ReadAllTextAsync(lab.Lab.InventoryFile)));
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        return lab;
    }

    /// <summary>A new server process on the same store (after a kill); it listens on a new port, so make new clients.</summary>
    public async Task RestartAsync()
    {
        Server = new ServerProcess(_directory, WorkflowsDirectory, new Dictionary<string, string> { ["PgHa__SecretsFile"] = Lab.SecretsFile });
        await Server.StartAsync();
    }

    public HttpClient Operator() => Client(_operator);

    public HttpClient Approver() => Client(_approver);

    private HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Starts a run and approves what it asks, as a second person, until it ends.</summary>
    public async Task<JsonNode> RunToEndAsync(string runbook, object inputs)
    {
        using var op = Operator();
        var runId = await op.StartRunAsync(new { runbook, cluster = "lab", inputs });
        return await FinishAsync(runId);
    }

    /// <summary>Approves what the run asks, as a second person, until it ends; it must complete.</summary>
    public async Task<JsonNode> FinishAsync(string runId)
    {
        var run = await EndAsync(runId);
        Assert.True(Http.Status(run) == "Completed", $"{runId}: {run.ToJsonString()}");
        return run;
    }

    /// <summary>Approves what the run asks, as a second person, until it ends, however it ends.</summary>
    public async Task<JsonNode> EndAsync(string runId)
    {
        using var op = Operator();
        using var ap = Approver();
        var run = await op.WaitForRunAsync(runId, r => Http.Ended(r) || Http.Waiting(r), TimeSpan.FromMinutes(10));
        while (!Http.Ended(run))
        {
            await ApproveAsync(ap, runId, run["approvals"]!.AsArray().First(a => a!["decision"] is null)!["nodeId"]!.GetValue<string>());
            run = await op.WaitForRunAsync(runId, r => Http.Ended(r) || (Http.Waiting(r) && r["approvals"]!.AsArray().Any(a => a!["decision"] is null)), TimeSpan.FromMinutes(10));
        }
        return run;
    }

    /// <summary>Approves the run's open approval at <paramref name="node"/>, as the approver (a second person).</summary>
    public static async Task ApproveAsync(HttpClient approver, string runId, string node)
    {
        var decided = await approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node, decision = "approve", comment = "crash test" }));
        Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
    }

    /// <summary>The run's event stream as (kind, data) pairs, beginning with its snapshot; ends with the run or <paramref name="patience"/>.</summary>
    public async IAsyncEnumerable<(string Kind, JsonNode Data)> EventsAsync(string runId, TimeSpan patience)
    {
        using var op = Operator();
        op.Timeout = Timeout.InfiniteTimeSpan;
        using var stream = await op.GetStreamAsync($"api/runs/{runId}/events");
        using var reader = new StreamReader(stream);
        using var deadline = new CancellationTokenSource(patience);
        var kind = "";
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) yield return (kind, JsonNode.Parse(line[6..])!);
        }
    }

    /// <summary>Kills the server the moment the run's event stream reports <paramref name="kind"/> for <paramref name="nodeId"/>.</summary>
    public async Task KillOnEventAsync(string runId, string kind, string nodeId)
    {
        await foreach (var e in EventsAsync(runId, TimeSpan.FromMinutes(5)))
        {
            if (e.Kind != kind || e.Data["nodeId"]?.GetValue<string>() != nodeId) continue;
            await Server.KillAsync();
            return;
        }
        throw new InvalidOperationException($"the event stream of {runId} ended before {kind} of {nodeId}");
    }

    public async Task<Dictionary<string, string>> RolesAsync()
    {
        using var op = Operator();
        var cluster = await (await op.GetAsync("api/clusters/lab")).Body();
        return cluster["roles"]!.AsObject().ToDictionary(r => r.Key, r => r.Value!.GetValue<string>());
    }

    public RemoteHost Host(string host, string user = "silkcloud") => Pool.Host(Lab.Target(host, user));

    /// <summary>What a DBA's psql on the host says (as silkcloud, database appdb), trimmed.</summary>
    public async Task<string> PsqlAsync(string host, string sql) =>
        (await Host(host).ReadAsync(RemoteCommand.Run("psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", "appdb", "-c", sql))).Trim();

    public static string Address(string host) => LabTopology.Hosts.Single(h => h.Name == host).Address;

    public async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        Pool.Dispose();
        _use?.Dispose();
        await Lab.DownAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
