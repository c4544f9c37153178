using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

/// <summary>The engine on a real PostgreSQL 15 store, one node and two nodes sharing the database.</summary>
public sealed class PostgresStoreEngineTests(PostgresStoreEngineTests.Server server) : IClassFixture<PostgresStoreEngineTests.Server>
{
    // Built-in activities only: Log, an approval gate, then Fork/Join.
    private static readonly string Gated = Json("pg-gated",
        [("hello", "Log", new { message = "starting" }), ("approve", "WaitForApproval", new { prompt = "Promote?" }),
         ("fork", "Fork", null), ("left", "Log", new { message = "left branch" }), ("right", "Log", new { message = "right branch" }),
         ("join", "Join", null), ("bye", "Log", new { message = "done" }), ("stop", "Log", new { message = "rejected" })],
        ["hello -Done-> approve", "approve -Approved-> fork", "approve -Rejected-> stop", "fork -Done-> left", "fork -Done-> right",
         "left -Done-> join", "right -Done-> join", "join -Done-> bye"]);

    [Fact]
    public async Task A_runbook_with_fork_join_and_an_approval_runs_to_completion_on_the_postgres_store()
    {
        var cs = server.CreateDatabase();
        await using var node = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        Assert.IsType<PostgresAdvisoryLockProvider>(node.Services.GetRequiredService<WorkflowCore.Interface.IDistributedLockProvider>());
        await node.Runtime.Runbooks.SaveAsync(Gated, "test", asNextVersion: false);

        var runId = (await node.StartAsync("pg-gated")).Run.RunId;
        await node.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        await node.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, "alice", "looks good");
        var run = await node.WaitUntilAsync(runId, r => RunStatus.IsFinished(r.Run.Status));

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        foreach (var id in new[] { "hello", "left", "right", "bye" })
            Assert.Single(run.Journal, j => j.NodeId == id && j.Status == JournalStatus.Succeeded);
        Assert.DoesNotContain(run.Journal, j => j.NodeId == "stop");
        Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Succeeded);
        Assert.Equal(("Approved", "alice"), (run.Approvals.Single().Decision, run.Approvals.Single().DecidedBy));
        // It really is in PostgreSQL, schema pgha.
        Assert.Equal(RunStatus.Completed, Server.Scalar(cs, $"SELECT \"Status\" FROM pgha.\"Runs\" WHERE \"RunId\" = '{runId}'"));
    }

    [Fact]
    public async Task Two_nodes_sharing_the_database_run_every_run_once_and_either_node_can_approve()
    {
        var cs = server.CreateDatabase();
        await using var a = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        // Saved before node B starts: a node registers the stored runbooks when it starts.
        await a.Runtime.Runbooks.SaveAsync(Gated, "test", asNextVersion: false);
        await using var b = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));

        var runIds = new List<string>();
        for (var i = 0; i < 6; i++)
            runIds.Add((await (i % 2 == 0 ? a : b).StartAsync("pg-gated")).Run.RunId);
        for (var i = 0; i < runIds.Count; i++)
        {
            await a.WaitUntilAsync(runIds[i], r => r.Run.WaitingForApproval);
            // Decided on the node that did not start it.
            await (i % 2 == 0 ? b : a).Runtime.DecideAsync(runIds[i], "approve", ApprovalChoice.Approve, "bob", null);
        }

        foreach (var runId in runIds)
        {
            var run = await b.WaitUntilAsync(runId, r => RunStatus.IsFinished(r.Run.Status));
            Assert.Equal(RunStatus.Completed, run.Run.Status);
            // Exactly once across both nodes: no node ran a step the other was running.
            foreach (var id in new[] { "hello", "left", "right", "bye" })
                Assert.Single(run.Journal, j => j.NodeId == id && j.Status == JournalStatus.Succeeded);
            Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Succeeded);
        }
    }

    /// <summary>
    /// A throwaway PostgreSQL 15 on 127.0.0.1 and a free port, as the `postgres` OS user when running as root (the
    /// server refuses root); stopped with `pg_ctl stop -m fast` and its directory deleted at the end.
    /// </summary>
    public sealed class Server : IAsyncLifetime
    {
        private const string BinDir = "/usr/lib/postgresql/15/bin";
        private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
        private string _root = "";
        private int _port;
        private bool _started;

        public string CreateDatabase()
        {
            var name = "engine_" + Guid.NewGuid().ToString("N")[..12];
            Execute(ConnectionString("postgres"), $"CREATE DATABASE \"{name}\"");
            return ConnectionString(name);
        }

        private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = _port, Database = database, Username = "postgres", Password = _password,
        }.ConnectionString;

        public static object? Scalar(string cs, string sql)
        {
            using var conn = new NpgsqlConnection(cs);
            conn.Open();
            using var cmd = new NpgsqlCommand(sql, conn);
            var v = cmd.ExecuteScalar();
            return v is DBNull ? null : v;
        }

        private static void Execute(string cs, string sql) => Scalar(cs, sql);

        public async Task InitializeAsync()
        {
            _root = Directory.CreateTempSubdirectory("pgha-pg-engine-").FullName;
            var pwfile = Path.Combine(_root, "pwfile");
            await File.WriteAllTextAsync(pwfile, _password + "\n");
            if (Environment.UserName == "root") Run("chown", "-R", "postgres:postgres", _root);
            AsPostgres("initdb", "-D", Path.Combine(_root, "data"), "-U", "postgres", "--pwfile=" + pwfile,
                "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C");
            File.Delete(pwfile);
            for (var attempt = 1; ; attempt++)
            {
                var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                _port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                try
                {
                    AsPostgres("pg_ctl", "-D", Path.Combine(_root, "data"), "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
                        "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {_root} -c fsync=off", "start");
                    _started = true;
                    return;
                }
                catch (InvalidOperationException) when (attempt < 3) { } // the port was taken meanwhile
            }
        }

        public Task DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                if (_started) AsPostgres("pg_ctl", "-D", Path.Combine(_root, "data"), "-w", "-t", "60", "stop", "-m", "fast");
            }
            finally
            {
                try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            return Task.CompletedTask;
        }

        private static void AsPostgres(string tool, params string[] args)
        {
            var exe = Path.Combine(BinDir, tool);
            if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", exe, .. args]);
            else Run(exe, args);
        }

        private static void Run(string exe, params string[] args)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{Path.GetFileName(exe)} exited {p.ExitCode}:\n{output.Result}\n{error.Result}");
        }
    }
}
