using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;
using PgHa.ThrowawayPostgres;

namespace PgHa.Server.Tests;

/// <summary>
/// The server on a PostgreSQL 15 store (PgHa:Store=postgres): the same approval flow as on SQLite, every row in the
/// database's schema pgha and none in a SQLite file, and a server killed while a run waits for approval replaced by a
/// new process on the same database that resumes the run.
/// </summary>
public sealed class PostgresStoreServerTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    // The bound of every poll for a run's state: generous, because the machine may be busy with other test projects.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_run_paused_for_approval_is_approved_over_http_and_completes_with_its_rows_in_postgres()
    {
        var database = postgres.CreateDatabase("server");
        var server = new ServerHost("--PgHa:Store", "postgres", "--PgHa:ConnectionString", database);
        await server.InitializeAsync();
        try
        {
            using var anonymous = server.Client(null);
            using var viewer = server.Client("viewer");
            using var @operator = server.Client("operator");
            using var approver = server.Client("approver");
            using var secondApprover = server.Client("approver2");
            Assert.Equal("Healthy", await anonymous.GetStringAsync("healthz"));

            await server.SaveAndPublishAsync(TestRunbooks.Switchover("pg-switchover"));
            var runId = await approver.StartRunAsync(new { runbook = "pg-switchover", inputs = new { maxLagBytes = 16 } });

            var waiting = await viewer.WaitForRunAsync(runId, Http.Waiting, Patience);
            Assert.Equal("Waiting", NodeState(waiting, "approve"));
            var open = (await (await viewer.GetAsync("api/approvals")).Body()).AsArray();
            Assert.Contains(open, a => a!["runId"]!.GetValue<string>() == runId && a["nodeId"]!.GetValue<string>() == "approve");
            Assert.Equal(1L, Scalar(database, $"SELECT count(*) FROM pgha.\"Approvals\" WHERE \"RunId\" = '{runId}' AND \"NodeId\" = 'approve' AND \"Decision\" IS NULL"));

            // Who started the run is read back from PostgreSQL: the starter may not approve, a second approver may.
            var own = await (await approver.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve" }))).Problem(403);
            Assert.Contains("second person", own["detail"]!.GetValue<string>());
            var decided = await secondApprover.PostAsync($"api/runs/{runId}/approvals",
                Http.Json(new { node = "approve", decision = "approve", comment = "lag is fine" }));
            Assert.True(decided.StatusCode == HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
            Assert.Equal("second-approver", (await decided.Body())["decidedBy"]!.GetValue<string>());

            var done = await viewer.WaitForRunAsync(runId, Http.Ended, Patience);
            Assert.Equal("Completed", Http.Status(done));
            Assert.Equal("approver-key", done["run"]!["startedBy"]!.GetValue<string>());
            Assert.Equal(["preflight", "approve", "switch", "verify"], SucceededNodes(done));
            Assert.Contains("lag limit 16", done["journal"]![0]!["log"]!.GetValue<string>());
            var approval = done["approvals"]!.AsArray().Single()!;
            Assert.Equal(("Approved", "second-approver", "lag is fine"),
                (approval["decision"]!.GetValue<string>(), approval["decidedBy"]!.GetValue<string>(), approval["comment"]!.GetValue<string>()));

            // What the API showed is what PostgreSQL holds, in schema pgha; no SQLite file was made beside the keys.
            Assert.Equal("Completed approver-key", Scalar(database, $"SELECT \"Status\" || ' ' || \"StartedBy\" FROM pgha.\"Runs\" WHERE \"RunId\" = '{runId}'"));
            Assert.Equal("preflight,approve,switch,verify", Scalar(database,
                $"SELECT string_agg(\"NodeId\", ',' ORDER BY \"Id\") FROM pgha.\"Journal\" WHERE \"RunId\" = '{runId}' AND \"Status\" = 'Succeeded'"));
            Assert.Equal("Approved second-approver lag is fine", Scalar(database,
                $"SELECT \"Decision\" || ' ' || \"DecidedBy\" || ' ' || \"Comment\" FROM pgha.\"Approvals\" WHERE \"RunId\" = '{runId}'"));
            Assert.Equal(1L, Scalar(database, "SELECT count(*) FROM pgha.\"RunbookVersions\" WHERE \"RunbookId\" = 'pg-switchover'"));
            Assert.Equal(true, Scalar(database, WorkflowCompletedSql(runId)));
            Assert.False(File.Exists(server.DatabaseFile), "the server wrote a SQLite store although PgHa:Store=postgres");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Killing_the_server_while_a_run_waits_for_approval_and_starting_another_on_the_same_database_resumes_it()
    {
        var database = postgres.CreateDatabase("restart");
        var root = Directory.CreateTempSubdirectory("pgha-pg-restart-").FullName;
        try
        {
            var runbooks = Directory.CreateDirectory(Path.Combine(root, "workflows")).FullName;
            await File.WriteAllTextAsync(Path.Combine(runbooks, "switchover.json"), TestRunbooks.Switchover());
            // Keys are a file of each server, not part of the store: both processes are given the same one.
            var keysFile = Path.Combine(root, ServerSettings.KeysFileName);
            var keys = new ApiKeyFile(keysFile);
            var operatorKey = keys.Create("alice", Roles.Operator);
            var approverKey = keys.Create("bob", Roles.Approver);
            // As an operator would configure it: the connection string (with its password) from the environment.
            var environment = new Dictionary<string, string>
            {
                ["PgHa__Store"] = "postgres", ["PgHa__ConnectionString"] = database, ["PgHa__Auth__KeysFile"] = keysFile,
            };
            var firstDirectory = Directory.CreateDirectory(Path.Combine(root, "first")).FullName;
            var secondDirectory = Directory.CreateDirectory(Path.Combine(root, "second")).FullName;

            string runId;
            await using (var first = new ServerProcess(firstDirectory, runbooks, environment))
            {
                await first.StartAsync();
                using var alice = Client(first.BaseAddress, operatorKey);
                runId = await alice.StartRunAsync(new { runbook = "switchover" });
                await alice.WaitForRunAsync(runId, Http.Waiting, Patience);
                Assert.Equal(1L, Scalar(database, $"SELECT count(*) FROM pgha.\"Approvals\" WHERE \"RunId\" = '{runId}' AND \"Decision\" IS NULL"));
                await first.KillAsync();
            }

            // A fresh data directory and no runbook folder: the run, its runbook and its open approval come from PostgreSQL only.
            await using var second = new ServerProcess(secondDirectory, "none", environment);
            await second.StartAsync();
            using var viewer = Client(second.BaseAddress, operatorKey);
            using var bob = Client(second.BaseAddress, approverKey);

            var paused = await viewer.WaitForRunAsync(runId, Http.Waiting, Patience);
            Assert.Equal("Running", Http.Status(paused));
            Assert.Equal("Waiting", NodeState(paused, "approve"));
            var open = (await (await viewer.GetAsync("api/approvals")).Body()).AsArray();
            Assert.Contains(open, a => a!["runId"]!.GetValue<string>() == runId && a["nodeId"]!.GetValue<string>() == "approve");

            var decided = await bob.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "after the crash" }));
            Assert.True(decided.StatusCode == HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
            JsonNode done;
            try
            {
                done = await viewer.WaitForRunAsync(runId, Http.Ended, Patience);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\nthe second server's log:\n{second.Output}", e);
            }
            Assert.True(Http.Status(done) == "Completed", $"{done.ToJsonString()}\n{second.Output}");
            Assert.Equal("alice", done["run"]!["startedBy"]!.GetValue<string>());
            Assert.Equal("bob", done["approvals"]![0]!["decidedBy"]!.GetValue<string>());
            // Each node ran once: the restart neither repeated the finished preflight nor lost the approval.
            Assert.Equal(["preflight", "approve", "switch", "verify"], SucceededNodes(done));

            Assert.Equal("Completed", Scalar(database, $"SELECT \"Status\" FROM pgha.\"Runs\" WHERE \"RunId\" = '{runId}'"));
            Assert.Equal("Approved bob", Scalar(database, $"SELECT \"Decision\" || ' ' || \"DecidedBy\" FROM pgha.\"Approvals\" WHERE \"RunId\" = '{runId}'"));
            Assert.Equal(true, Scalar(database, WorkflowCompletedSql(runId)));
            foreach (var directory in new[] { firstDirectory, secondDirectory })
                Assert.False(File.Exists(Path.Combine(directory, "pgha.db")), $"a SQLite store was written in {directory}");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static object? Scalar(string database, string sql) => PostgresServer.Scalar(database, sql);

    /// <summary>The engine's own checkpoint (WorkflowCore's instance row) of the run is in PostgreSQL and finished.</summary>
    private static string WorkflowCompletedSql(string runId) =>
        $"SELECT w.\"CompleteTime\" IS NOT NULL FROM pgha.\"Workflow\" w JOIN pgha.\"Runs\" r ON w.\"InstanceId\"::text = r.\"WorkflowInstanceId\" WHERE r.\"RunId\" = '{runId}'";

    private static string NodeState(JsonNode run, string nodeId) =>
        run["nodes"]!.AsArray().Single(n => n!["nodeId"]!.GetValue<string>() == nodeId)!["state"]!.GetValue<string>();

    private static string[] SucceededNodes(JsonNode run) =>
        run["journal"]!.AsArray().Where(j => j!["status"]!.GetValue<string>() == "Succeeded").Select(j => j!["nodeId"]!.GetValue<string>()).ToArray();

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
