using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace PgHa.Server.Tests;

/// <summary>Many runs at once through the API: every node of every run executes exactly once.</summary>
public sealed class LoadTests(ServerHost server, ITestOutputHelper output) : IClassFixture<ServerHost>
{
    private const int Runs = 50;

    [Fact]
    public async Task Fifty_concurrent_fork_join_runs_complete_with_each_node_succeeding_exactly_once()
    {
        using var op = server.Client("operator");
        await server.SaveAndPublishAsync(TestRunbooks.ForkJoin("load"));
        string[] nodes = ["start", "fork", "a1", "a2", "b1", "join", "after"];

        var clock = Stopwatch.StartNew();
        var runIds = await Task.WhenAll(Enumerable.Range(0, Runs).Select(_ => op.StartRunAsync(new { runbook = "load" })));
        var started = clock.Elapsed;
        Assert.Equal(Runs, runIds.Distinct().Count());

        var finished = await Task.WhenAll(runIds.Select(id => op.WaitForRunAsync(id, Http.Ended, TimeSpan.FromMinutes(3))));
        clock.Stop();

        foreach (var run in finished)
        {
            Assert.Equal("Completed", Http.Status(run));
            var journal = run["journal"]!.AsArray();
            foreach (var node in nodes)
            {
                var succeeded = journal.Count(j => j!["nodeId"]!.GetValue<string>() == node && j["status"]!.GetValue<string>() == "Succeeded");
                Assert.True(succeeded == 1, $"run {run["run"]!["runId"]}: node {node} succeeded {succeeded} times");
            }
            Assert.Single(journal, j => j!["nodeId"]!.GetValue<string>() == "join" && j["status"]!.GetValue<string>() == "Arrived");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var report = $"{Runs} runs x {nodes.Length} nodes: all started in {started.TotalSeconds:0.00} s, all completed in {seconds:0.00} s " +
                     $"→ {Runs / seconds:0.0} runs/s, {Runs * nodes.Length / seconds:0.0} nodes/s (SQLite, poll 100 ms, {Environment.ProcessorCount} cores)";
        output.WriteLine(report);
        Console.WriteLine(report);
    }
}
