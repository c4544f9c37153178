using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;

namespace PgHa.Server.Tests;

/// <summary>
/// The real server listening on 127.0.0.1 (a free port) on a temporary SQLite file, with one key per role
/// (and a second approver) created before it starts. Extra arguments choose another store (PostgreSQL); keys and
/// logs stay in <see cref="Directory"/> either way.
/// </summary>
public sealed class ServerHost : IAsyncLifetime
{
    private readonly string[] _arguments;

    public ServerHost() : this([]) { }

    internal ServerHost(params string[] arguments) => _arguments = arguments;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pgha-server-").FullName;
    public string DatabaseFile => Path.Combine(Directory, "pgha.db");
    public Dictionary<string, string> Keys { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var keys = new ApiKeyFile(Path.Combine(Directory, ServerSettings.KeysFileName));
        foreach (var role in Roles.Ordered) Keys[role] = keys.Create(role + "-key", role);
        Keys["approver2"] = keys.Create("second-approver", Roles.Approver);

        App = PgHaServer.Build([
            "--urls", "http://127.0.0.1:0", "--PgHa:Database", DatabaseFile, "--PgHa:RunbookFolder", "none",
            "--PgHa:DesignerFolder", "none", "--PgHa:Engine:PollIntervalMilliseconds", "100", "--PgHa:Sse:HeartbeatSeconds", "1",
            "--Serilog:MinimumLevel:Default", "Warning", "--Serilog:MinimumLevel:Override:PgHa.Audit", "Information",
            .. _arguments,
        ]);
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>Saves a runbook as the operator and, when it is a new draft, publishes it as a second principal (the approver).</summary>
    public async Task SaveAndPublishAsync(string json)
    {
        using var author = Client("operator");
        var saved = await author.PostAsync("api/runbooks", Http.Json(json));
        var text = await saved.Content.ReadAsStringAsync();
        Assert.True(saved.StatusCode is System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.OK, text);
        if (saved.StatusCode != System.Net.HttpStatusCode.Created) return;
        var version = JsonNode.Parse(text)!;
        using var reviewer = Client("approver2");
        var published = await reviewer.PostAsync($"api/runbooks/{version["id"]}/versions/{version["version"]}/publish", null);
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync());
    }

    /// <summary>Every log file of the server (JSON lines), read while the server writes them.</summary>
    public string LogText() => string.Join("\n", System.IO.Directory.GetFiles(Path.Combine(Directory, "logs")).Select(f =>
    {
        using var reader = new StreamReader(new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }));

    public HttpClient Client(string? role)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (role is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Keys[role]);
        return client;
    }
}

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => Json(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));

    public static async Task<JsonNode> Body(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts an RFC 7807 response with the status and returns it.</summary>
    public static async Task<JsonObject> Problem(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        return problem;
    }

    public static string[] FieldErrors(this JsonObject problem, string field) =>
        problem["errors"]?[field]?.AsArray().Select(m => m!.GetValue<string>()).ToArray()
        ?? throw new Xunit.Sdk.XunitException($"no error for field '{field}' in {problem.ToJsonString()}");

    public static async Task<string> StartRunAsync(this HttpClient client, object body)
    {
        var response = await client.PostAsync("api/runs", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!["run"]!["runId"]!.GetValue<string>();
    }

    public static async Task<JsonNode> WaitForRunAsync(this HttpClient client, string runId, Func<JsonNode, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var run = await (await client.GetAsync($"api/runs/{runId}")).Body();
            if (condition(run)) return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"run {runId} did not reach the expected state: {run.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    public static bool Ended(JsonNode run) => run["run"]!["status"]!.GetValue<string>() is "Completed" or "Failed" or "Cancelled";

    public static bool Waiting(JsonNode run) => run["run"]!["waitingForApproval"]!.GetValue<bool>();

    public static string Status(JsonNode run) => run["run"]!["status"]!.GetValue<string>();
}
