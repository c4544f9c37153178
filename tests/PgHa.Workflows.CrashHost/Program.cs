using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgHa.Workflows;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

// Usage: CrashHost <db> <runbook-folder> <record-file> start <runbook>
//        CrashHost <db> <runbook-folder> <record-file> resume <run-id> [approve <node>]
// Prints "RUN <id>", "WAITING <node>" and "END <status>" lines for the test to follow.
var (db, folder, record, mode, target) = (args[0], args[1], args[2], args[3], args[4]);
Environment.SetEnvironmentVariable("PGHA_RECORD_FILE", record);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddRunbookEngine(db, o =>
{
    o.RunbookFolders.Add(folder);
    o.PollInterval = TimeSpan.FromMilliseconds(250);
});
builder.Services.AddActivity<RecordExecution>();
using var host = builder.Build();
await host.StartAsync();
var runtime = host.Services.GetRequiredService<RunbookRuntime>();

var runId = mode == "start"
    ? (await runtime.StartRunAsync(new StartRunRequest { RunbookId = target, StartedBy = "crash-test" })).Run.RunId
    : target;
Console.WriteLine($"RUN {runId}");

var approveNode = args.Length > 6 && args[5] == "approve" ? args[6] : null;
var announced = false;
while (true)
{
    var run = await runtime.GetRunAsync(runId) ?? throw new InvalidOperationException($"run {runId} is not in the store");
    if (RunStatus.IsFinished(run.Run.Status))
    {
        Console.WriteLine($"END {run.Run.Status} {run.Run.Error}");
        break;
    }
    var open = run.Approvals.FirstOrDefault(a => a.Decision is null);
    if (open is not null && !announced)
    {
        Console.WriteLine($"WAITING {open.NodeId}");
        announced = true;
    }
    if (open is not null && open.NodeId == approveNode)
    {
        await runtime.DecideAsync(runId, open.NodeId, ApprovalChoice.Approve, new Decider("crash-test-approver", ["approver"]), "approved after restart");
        approveNode = null;
    }
    await Task.Delay(100);
}
await host.StopAsync();

/// <summary>Appends "start"/"end" lines with the process id to a file, flushed to disk, around a hold.</summary>
public sealed record RecordExecutionInput
{
    [Description("name written to the record file")] public required string Name { get; init; }
    [Description("milliseconds to hold between start and end")] public int HoldMilliseconds { get; init; }
}

[Activity("RecordExecution", Mutates = true, Description = "Test activity: records each execution to a file.")]
public sealed class RecordExecution : Activity<RecordExecutionInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(RecordExecutionInput input, ActivityContext context)
    {
        Append($"start {input.Name} {Environment.ProcessId}");
        await Task.Delay(input.HoldMilliseconds, context.CancellationToken);
        Append($"end {input.Name} {Environment.ProcessId}");
        return ActivityResult.Done();
    }

    private static void Append(string line)
    {
        using var file = new FileStream(Environment.GetEnvironmentVariable("PGHA_RECORD_FILE")!, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }
}
