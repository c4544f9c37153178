using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace PgHa.Server.Tests;

/// <summary>A crash of the server process loses nothing: runs, approvals and durable waits are resumed by the next process.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-restart-").FullName;
    private readonly string _runbooks;

    public RestartTests()
    {
        _runbooks = Path.Combine(_directory, "workflows");
        Directory.CreateDirectory(_runbooks);
        File.WriteAllText(Path.Combine(_runbooks, "switchover.json"), TestRunbooks.Switchover());
        File.WriteAllText(Path.Combine(_runbooks, "sleeper.json"), TestRunbooks.Sleeper(seconds: 4));
    }

    [Fact]
    public async Task Killing_the_server_keeps_runs_and_the_next_process_resumes_them()
    {
        await using var first = new ServerProcess(_directory, _runbooks);
        await first.StartAsync();
        // First start: no keys yet, so the server prints one admin key to the console, and only there.
        var admin = Regex.Match(first.Output, @"pgha_[A-Za-z0-9_-]{20,}").Value;
        Assert.NotEmpty(admin);
        var logs = string.Concat(Directory.GetFiles(Path.Combine(_directory, "logs")).Select(ReadShared));
        Assert.DoesNotContain(admin, logs);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "api-keys.json")));

        var keys = new Server.Auth.ApiKeyFile(Path.Combine(_directory, "api-keys.json"));
        var approverKey = keys.Create("bob", "approver");
        using var adminClient = Client(first.BaseAddress, admin);

        var waiting = await adminClient.StartRunAsync(new { runbook = "switchover" });
        var sleeping = await adminClient.StartRunAsync(new { runbook = "sleeper" });
        await adminClient.WaitForRunAsync(waiting, Http.Waiting);
        await adminClient.WaitForRunAsync(sleeping, r => r["nodes"]![1]!["state"]!.GetValue<string>() == "Sleeping");
        await first.KillAsync();

        await using var second = new ServerProcess(_directory, _runbooks);
        await second.StartAsync();
        Assert.DoesNotContain("pgha_", second.Output); // keys exist now: nothing is printed again
        using var viewer = Client(second.BaseAddress, admin);
        using var approver = Client(second.BaseAddress, approverKey);

        var slept = await viewer.WaitForRunAsync(sleeping, Http.Ended, TimeSpan.FromSeconds(60));
        Assert.Equal("Completed", Http.Status(slept));
        foreach (var node in new[] { "first", "last" })
            Assert.Single(slept["journal"]!.AsArray(), j => j!["nodeId"]!.GetValue<string>() == node && j["status"]!.GetValue<string>() == "Succeeded");

        var paused = await viewer.WaitForRunAsync(waiting, Http.Waiting);
        Assert.Equal("Running", Http.Status(paused));
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync($"api/runs/{waiting}/approvals",
            Http.Json(new { node = "approve", decision = "approve", comment = "after the restart" }))).StatusCode);
        var done = await viewer.WaitForRunAsync(waiting, Http.Ended, TimeSpan.FromSeconds(60));
        Assert.Equal("Completed", Http.Status(done));
        Assert.Equal("bob", done["approvals"]![0]!["decidedBy"]!.GetValue<string>());
        foreach (var node in new[] { "preflight", "approve", "switch", "verify" })
            Assert.Single(done["journal"]!.AsArray(), j => j!["nodeId"]!.GetValue<string>() == node && j["status"]!.GetValue<string>() == "Succeeded");
    }

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static string ReadShared(string file)
    {
        using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
