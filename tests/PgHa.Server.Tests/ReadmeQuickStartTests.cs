using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PgHa.Server.Tests;

/// <summary>
/// Follows the README literally: a fresh clone, its main command (lab, server, cluster import, keys), then what
/// a new user does next — list the runbooks and run environment preparation against the lab.
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class ReadmeQuickStartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = FindRepo();
    private readonly string _clone = Path.Combine(Path.GetTempPath(), "pgha-readme-" + Guid.NewGuid().ToString("N")[..8]);

    [GeneratedRegex(@"## The two commands(?<section>.*?)\n## ", RegexOptions.Singleline)]
    private static partial Regex TwoCommandsSection();

    [GeneratedRegex(@"```sh\n(?<command>[^\n]+)\n```")]
    private static partial Regex ShellBlock();

    private static (string Main, string Tests) ReadmeCommands()
    {
        var section = TwoCommandsSection().Match(File.ReadAllText(Path.Combine(Repo, "README.md"))).Groups["section"].Value;
        var commands = ShellBlock().Matches(section).Select(m => m.Groups["command"].Value.Trim()).ToList();
        Assert.Equal(2, commands.Count);
        return (commands[0], commands[1]);
    }

    [Fact]
    public void The_test_command_is_the_one_CI_runs()
    {
        var (_, tests) = ReadmeCommands();
        Assert.Equal("tests/run.sh", tests);
        Assert.Contains("exec bash tests/run.sh", File.ReadAllText(Path.Combine(Repo, ".ci", "run")));
        if (!OperatingSystem.IsWindows())
            Assert.True(File.GetUnixFileMode(Path.Combine(Repo, "tests", "run.sh")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public async Task The_main_command_brings_up_lab_server_and_cluster_on_a_fresh_clone()
    {
        var (main, _) = ReadmeCommands();
        Run("git", $"clone -q {Repo} {_clone}", Repo);

        var log = new StringBuilder();
        var up = Process.Start(new ProcessStartInfo("bash", ["-c", "exec " + main])
        {
            WorkingDirectory = _clone, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        })!;
        up.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        up.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        try
        {
            var ready = await WaitForAsync(() => { lock (log) return log.ToString().Contains("operator key:"); }, TimeSpan.FromMinutes(8), up, log);
            Assert.True(ready);
            string text;
            lock (log) text = log.ToString();
            var url = Regex.Match(text, @"PgHaWorkflows is up at (\S+)").Groups[1].Value;
            var operatorKey = Regex.Match(text, @"operator key:\s+(\S+)").Groups[1].Value;
            var approverKey = Regex.Match(text, @"approver key:\s+(\S+)").Groups[1].Value;
            Assert.NotEqual(operatorKey, approverKey);

            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
            var runbooks = (await http.GetFromJsonAsync<JsonArray>("api/runbooks"))!.Select(r => (string)r!["id"]!).ToList();
            // Every runbook file of the clone is seeded (and published).
            Assert.Equal(Directory.GetFiles(Path.Combine(_clone, "workflows"), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(), runbooks.Order());
            Assert.Equal("lab", (string)(await http.GetFromJsonAsync<JsonObject>("api/clusters/lab"))!["id"]!);

            var started = await http.PostAsJsonAsync("api/runs", new { runbook = "environment-preparation", cluster = "lab" });
            var runId = (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["run"]!["runId"]!;
            string status = "Running";
            await WaitForAsync(async () =>
            {
                status = (string)(await http.GetFromJsonAsync<JsonObject>($"api/runs/{runId}"))!["run"]!["status"]!;
                return status != "Running";
            }, TimeSpan.FromMinutes(5), up, log);
            Assert.Equal("Completed", status);
        }
        finally
        {
            // Ctrl+C, as the README says: the server stops, the lab stays; then take the lab down.
            if (!up.HasExited) Run("kill", $"-INT {up.Id}", _clone);
            if (!up.WaitForExit(TimeSpan.FromSeconds(60))) up.Kill(entireProcessTree: true);
            lock (log) output.WriteLine(log.ToString());
            Run("dotnet", "run --project src/PgHa.Cli -- lab down", _clone);
        }
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Process process, StringBuilder log)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (process.HasExited) { lock (log) throw new InvalidOperationException($"'pgha up' exited with {process.ExitCode}:\n{log}"); }
            if (DateTime.UtcNow > deadline) { lock (log) throw new TimeoutException($"'pgha up' did not get there in time:\n{log}"); }
            await Task.Delay(500);
        }
        return true;
    }

    private static Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout, Process process, StringBuilder log) =>
        WaitForAsync(() => Task.FromResult(condition()), timeout, process, log);

    private void Run(string program, string arguments, string directory)
    {
        using var p = Process.Start(new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"$ {program} {arguments}\n{text}");
        Assert.True(p.ExitCode == 0, $"{program} {arguments} failed ({p.ExitCode}):\n{text}");
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) && File.Exists(Path.Combine(dir.FullName, "README.md")))
                return dir.FullName;
        throw new InvalidOperationException("the repository root was not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(_clone, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
