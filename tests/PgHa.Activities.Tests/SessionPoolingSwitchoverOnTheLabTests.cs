using System.Text.Json;
using Npgsql;
using PgHa.Remote;
using PgHa.Workflows.Store.Entities;
using Xunit.Abstractions;

namespace PgHa.Activities.Tests;

/// <summary>
/// Session pooling (cluster setting pgbouncerPoolMode=session): an application that holds an idle session on each
/// pgbouncer would keep PAUSE waiting for ever. The switchover still ends within its drain budget: PausePgBouncer
/// closes the sessions still open (KILL), counts them in the journal, and the clients reach the new master when they
/// reconnect. Failed back and returned to transaction pooling afterwards, as the lab was found.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class SessionPoolingSwitchoverOnTheLabTests(LabDeploymentFixture lab, ITestOutputHelper output) : IClassFixture<LabDeploymentFixture>
{
    private const int DrainSeconds = 3;

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private NpgsqlConnection ThroughPgBouncer(string role) =>
        new(new NpgsqlConnectionStringBuilder
        {
            Host = lab.Inventory.HostForRole(role)!.Address, Port = lab.Inventory.Ports.PgBouncer, Database = "appdb", Username = "app",
            Password = lab.Secret("appPassword"), Pooling = false, Timeout = 10, CommandTimeout = 10, ApplicationName = "held-idle-session",
        }.ConnectionString);

    private static async Task<string> ServerOfAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT host(inet_server_addr())", c);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<string> PoolModeInIniAsync(string role) =>
        await lab.Host(role).ReadAsync(RemoteCommand.Bash($"grep '^pool_mode' {ShellQuoting.Quote(lab.Inventory.Paths.PgBouncerConfig + "/pgbouncer.ini")}"));

    [Fact]
    public async Task A_held_idle_session_is_closed_after_the_drain_budget_and_the_switchover_completes()
    {
        await lab.EnsureDeployedAsync();
        var master = lab.Inventory.HostForRole("master")!;
        var slave = lab.Inventory.HostForRole("slave")!;
        var inputs = new Dictionary<string, JsonElement> { ["drainTimeoutSeconds"] = JsonSerializer.SerializeToElement(DrainSeconds) };
        await lab.SetPoolModeAsync("session");
        try
        {
            foreach (var role in new[] { "master", "slave" })
                Assert.Equal("pool_mode = session", await PoolModeInIniAsync(role));

            // One idle session per pgbouncer, opened and used once, then held: in session pooling each keeps its server connection.
            await using var viaMaster = ThroughPgBouncer("master");
            await using var viaSlave = ThroughPgBouncer("slave");
            NpgsqlConnection[] held = [viaMaster, viaSlave];
            foreach (var c in held)
            {
                await c.OpenAsync();
                Assert.Equal(master.Address, await ServerOfAsync(c));
            }

            var (run, took) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(5), inputs: inputs);
            Assert.True(run.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(run));
            var pause = run.Nodes.Single(n => n.NodeId == "pause");
            var pauseTook = (pause.EndedAt - pause.StartedAt)!.Value;
            var entry = run.Journal.Last(j => j.NodeId == "pause" && j.Status == JournalStatus.Succeeded);
            Log($"[session pooling] switchover {took.TotalSeconds:0.0} s, pause node {pauseTook.TotalSeconds:0.0} s (drain budget {DrainSeconds} s): {entry.Outputs}\n{entry.Log}");

            // Both pauses waited for the budget, then closed the held session: counted in the outputs and said in the log.
            var paused = entry.Outputs!.Value.GetProperty("paused");
            foreach (var host in new[] { master.Name, slave.Name })
                Assert.True(paused.GetProperty(host).GetProperty("closedSessions").GetInt32() >= 1, $"{host}: {paused}");
            Assert.Contains("session(s) still open after the drain budget were closed", entry.Log);
            Assert.InRange(pauseTook, TimeSpan.FromSeconds(DrainSeconds), TimeSpan.FromSeconds(DrainSeconds + 15));

            // The held sessions were really closed; a reconnecting client reaches the new master through either pgbouncer.
            foreach (var c in held)
                await Assert.ThrowsAnyAsync<Exception>(() => ServerOfAsync(c));
            foreach (var role in new[] { "master", "slave" })
            {
                await using var again = ThroughPgBouncer(role);
                await again.OpenAsync();
                Assert.Equal(slave.Address, await ServerOfAsync(again));
            }

            var (back, _) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(5), inputs: inputs);
            Assert.True(back.Run.Status == RunStatus.Completed, "failback: " + LabDeploymentFixture.JournalText(back));
        }
        finally
        {
            await lab.SetPoolModeAsync("transaction");
        }
        foreach (var role in new[] { "master", "slave" })
            Assert.Equal("pool_mode = transaction", await PoolModeInIniAsync(role));
        Assert.Equal(lab.Inventory.Roles, (await lab.Clusters.GetAsync("lab"))!.Roles);
    }
}
