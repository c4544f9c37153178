using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;
using Serilog.Events;

namespace PgHa.Server.Tests;

/// <summary>Input a hostile or careless client sends: refused at the door with the field named, and nothing of the server leaks.</summary>
public sealed class StrictInputTests(ServerHost server) : IClassFixture<ServerHost>
{
    private readonly HttpClient _operator = server.Client("operator");

    private static JsonObject Node(string id, string activity, JsonObject inputs, int? timeout = null)
    {
        var node = new JsonObject { ["id"] = id, ["activity"] = activity, ["inputs"] = inputs };
        if (timeout is { } t) node["timeoutSeconds"] = t;
        return node;
    }

    [Fact]
    public async Task Duplicate_and_unknown_fields_are_refused_with_their_json_path()
    {
        await server.SaveAndPublishAsync(TestRunbooks.Switchover("strict-tiny"));
        var duplicate = await (await _operator.PostAsync("api/runs", Http.Json("{\"runbook\":\"strict-tiny\",\"runbook\":\"other\"}"))).Problem(400);
        Assert.Contains("twice", duplicate.FieldErrors("$.runbook")[0] + duplicate["detail"]);
        var unknown = await (await _operator.PostAsync("api/runs", Http.Json("{\"runbook\":\"strict-tiny\",\"colour\":1}"))).Problem(400);
        Assert.NotNull(unknown["errors"]!["$.colour"]);
        var runbook = await (await _operator.PostAsync("api/runbooks", Http.Json(TestRunbooks.Switchover("strict-dup").Replace("\"name\":", "\"id\":\"strict-dup2\",\"name\":")))).Problem(400);
        Assert.Contains("$.id", runbook["errors"]!.AsObject().Select(e => e.Key));
        Assert.Empty((await (await _operator.GetAsync("api/runs?runbook=other")).Body()).AsArray());
    }

    [Fact]
    public async Task Values_that_would_fail_or_misbehave_at_run_are_refused_at_save()
    {
        var json = TestRunbooks.Build("strict-values", 1, new JsonObject(),
        [
            Node("wait", "Delay", new JsonObject { ["seconds"] = -1 }),
            Node("long", "Delay", new JsonObject { ["seconds"] = 2147483647 }, timeout: 1),
            Node("ask", "WaitForApproval", new JsonObject { ["prompt"] = "ok?", ["role"] = "viewer", ["expiresAfterSeconds"] = -10 }),
        ], ["wait -Done-> long", "long -Done-> ask"]);
        var problem = await (await _operator.PostAsync("api/runbooks", Http.Json(json))).Problem(400);
        Assert.Contains("out of range", problem.FieldErrors("nodes.wait.inputs.seconds")[0]);
        Assert.NotEmpty(problem.FieldErrors("nodes.long.timeoutSeconds"));
        Assert.Contains("approver, admin", problem.FieldErrors("nodes.ask.inputs.role")[0]);
        Assert.NotEmpty(problem.FieldErrors("nodes.ask.inputs.expiresAfterSeconds"));

        await server.SaveAndPublishAsync(TestRunbooks.Switchover("strict-int"));
        var input = await (await _operator.PostAsync("api/runs", Http.Json("{\"runbook\":\"strict-int\",\"inputs\":{\"maxLagBytes\":99999999999}}"))).Problem(400);
        Assert.Contains("out of range", input.FieldErrors("inputs.maxLagBytes")[0]);
    }

    [Fact]
    public async Task Bad_requests_name_fields_never_server_types()
    {
        foreach (var body in new[] { "{\"runbook\": 42}", "{\"runbook\":\"x\",\"inputs\":[1]}", "{\"runbook\":\"x\",\"version\":\"two\"}", "[]", "\"text\"" })
        {
            var text = await (await _operator.PostAsync("api/runs", Http.Json(body))).Content.ReadAsStringAsync();
            Assert.DoesNotContain("PgHa.", text);
            Assert.DoesNotContain("System.", text);
            Assert.Contains("\"status\":400", text);
        }
        var empty = await (await _operator.PostAsync("api/runs", Http.Json(""))).Problem(400);
        Assert.NotEmpty(empty.FieldErrors("$"));
    }

    [Theory]
    [InlineData("/api/runs/%00")]
    [InlineData("/api/runbooks/a%00b/versions")]
    public async Task A_null_byte_in_the_path_gets_a_problem_document(string path)
    {
        // Raw bytes on the socket: HttpClient may re-encode a path, a hostile client does not.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = $"GET {path} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nAuthorization: Bearer {server.Keys["operator"]}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var response = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Contains("application/problem+json", response);
        Assert.Contains("\"status\":400", response);
        Assert.DoesNotContain("System.", response);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_store_and_the_logs_are_not_readable_by_others_and_dot_pgha_is_ignored_everywhere()
    {
        await server.SaveAndPublishAsync(TestRunbooks.Switchover("strict-files"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.DatabaseFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.DatabaseFile + "-wal"));
        foreach (var log in Directory.GetFiles(Path.Combine(server.Directory, "logs")))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(log));

        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, ".gitignore"))) root = Path.GetDirectoryName(root)!;
        foreach (var path in new[] { ".pgha/pgha.db", "src/PgHa.Server/.pgha/api-keys.json", "src/PgHa.Cli/.pgha/logs/pgha-1.log" })
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["check-ignore", "-q", "--no-index", path]) { WorkingDirectory = root })!;
            await git.WaitForExitAsync();
            Assert.True(git.ExitCode == 0, $"{path} is not ignored by .gitignore");
        }
    }

    [Fact]
    public void Control_characters_in_logged_user_text_are_escaped_so_no_line_can_be_forged()
    {
        var rendered = new List<string>();
        using (var logger = new Serilog.LoggerConfiguration().Enrich.With<EscapedUserText>()
                   .WriteTo.Sink(new Collect(rendered)).CreateLogger())
            logger.Information("Approval {Comment}", "fine\n12:00:00 INF PgHa.Audit: Approve by admin\u001b[2K");
        Assert.Equal("Approval \"fine\\n12:00:00 INF PgHa.Audit: Approve by admin\\u001b[2K\"", Assert.Single(rendered));
    }

    [Fact]
    public void Key_names_are_one_principal_however_they_are_spelt_and_carry_no_control_characters()
    {
        var keys = new ApiKeyFile(Path.Combine(server.Directory, ServerSettings.KeysFileName));
        Assert.Throws<ArgumentException>(() => keys.Create(" Second-Approver", Roles.Admin));
        Assert.Throws<ArgumentException>(() => keys.Create("bob\u001b[31m", Roles.Admin));
        Assert.Equal("second-approver", keys.List().Single(k => k.Name == "second-approver").PrincipalName);
    }

    private sealed class Collect(List<string> into) : Serilog.Core.ILogEventSink
    {
        public void Emit(LogEvent logEvent) => into.Add(logEvent.RenderMessage());
    }
}
