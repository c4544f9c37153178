using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class LoggingTests
{
    private sealed class CollectingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();
        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    [Fact]
    public async Task Node_log_events_carry_the_run_id_and_node_id()
    {
        var sink = new CollectingSink();
        var serilog = new LoggerConfiguration().MinimumLevel.Information().Enrich.FromLogContext().WriteTo.Sink(sink).CreateLogger();
        await using var engine = await EngineHarness.StartAsync(s => s.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Information).AddSerilog(serilog)));
        await engine.SaveAsync(Json("logged", [Rec("first"), Rec("second")], ["first -Done-> second"]));

        var run = await engine.WaitForEndAsync((await engine.StartAsync("logged")).Run.RunId);

        var nodeEvents = sink.Events.Where(e => e.MessageTemplate.Text.StartsWith("Node {NodeId}")).ToList();
        Assert.NotEmpty(nodeEvents);
        Assert.All(nodeEvents, e =>
        {
            Assert.Equal(run.Run.RunId, ((ScalarValue)e.Properties["RunId"]).Value);
            Assert.Contains(((ScalarValue)e.Properties["NodeId"]).Value as string, new[] { "first", "second" });
        });
    }
}
