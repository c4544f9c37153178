using System.Collections.Concurrent;
using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Activities;

namespace PgHa.Workflows.Tests;

/// <summary>Which nodes executed, in order, across the test's engine.</summary>
public sealed class ExecutionRecorder
{
    private readonly ConcurrentQueue<string> _executions = new();

    public void Record(string name) => _executions.Enqueue(name);

    public IReadOnlyList<string> Executions => _executions.ToArray();

    public int Count(string name) => _executions.Count(e => e == name);
}

public static class TestActivities
{
    public static void Register(IServiceCollection services)
    {
        services.AddActivity<Record>();
        services.AddActivity<Flaky>();
        services.AddActivity<Hang>();
        services.AddActivity<Choose>();
        services.AddActivity<Echo>();
        services.AddActivity<ChangeWithoutPlan>();
        services.AddActivity<GenerateKey>();
        services.AddActivity<SwapMasterAndSlave>();
    }
}

public sealed record RecordInput
{
    [Description("name recorded")] public required string Name { get; init; }
    public int HoldMilliseconds { get; init; }
}

[Activity("Record", Description = "Records that it ran.")]
public sealed class Record(ExecutionRecorder recorder) : Activity<RecordInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(RecordInput input, ActivityContext context)
    {
        recorder.Record(input.Name);
        if (input.HoldMilliseconds > 0) await Task.Delay(input.HoldMilliseconds, context.CancellationToken);
        return ActivityResult.Done(new { name = input.Name });
    }
}

public sealed record FlakyInput
{
    public required string Name { get; init; }
    public required int FailTimes { get; init; }
}

[Activity("Flaky", Description = "Fails its first N attempts, then succeeds.")]
public sealed class Flaky(ExecutionRecorder recorder) : Activity<FlakyInput>
{
    protected override Task<ActivityResult> ExecuteAsync(FlakyInput input, ActivityContext context)
    {
        recorder.Record(input.Name);
        return Task.FromResult(context.Attempt <= input.FailTimes
            ? ActivityResult.Failed($"planned failure {context.Attempt}")
            : ActivityResult.Done());
    }
}

[Activity("Hang", Description = "Runs until cancelled.")]
public sealed class Hang(ExecutionRecorder recorder) : Activity<RecordInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(RecordInput input, ActivityContext context)
    {
        recorder.Record(input.Name);
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return ActivityResult.Done();
    }
}

public sealed record ChooseInput
{
    public required string Outcome { get; init; }
}

[Activity("Choose", Outcomes = ["Left", "Right", ActivityOutcomes.Failed], Description = "Ends with the outcome it is given.")]
public sealed class Choose(ExecutionRecorder recorder) : Activity<ChooseInput>
{
    protected override Task<ActivityResult> ExecuteAsync(ChooseInput input, ActivityContext context)
    {
        recorder.Record("choose:" + input.Outcome);
        return Task.FromResult(ActivityResult.Ended(input.Outcome));
    }
}

public sealed record EchoInput
{
    public required string Text { get; init; }
    public int Number { get; init; }
    public List<string> Items { get; init; } = [];
}

[Activity("Echo", Description = "Outputs what it was given.")]
[ActivityOutput("text", "the text")]
[ActivityOutput("number", "the number")]
public sealed class Echo(ExecutionRecorder recorder) : Activity<EchoInput>
{
    protected override Task<ActivityResult> ExecuteAsync(EchoInput input, ActivityContext context)
    {
        recorder.Record($"echo:{input.Text}:{input.Number}:{string.Join(",", input.Items)}");
        return Task.FromResult(ActivityResult.Done(new { text = input.Text, number = input.Number }));
    }
}

[Activity("ChangeWithoutPlan", Mutates = true, Description = "Changes something and has no plan mode.")]
public sealed class ChangeWithoutPlan(ExecutionRecorder recorder) : Activity<RecordInput>
{
    protected override Task<ActivityResult> ExecuteAsync(RecordInput input, ActivityContext context)
    {
        recorder.Record(input.Name);
        return Task.FromResult(ActivityResult.Done());
    }
}

[Activity("SwapMasterAndSlave", Mutates = true, PlansInDryRun = true, Description = "Hands the master role to the slave and back, as SetClusterRoles does.")]
public sealed class SwapMasterAndSlave : Activity<RecordInput>
{
    protected override Task<ActivityResult> ExecuteAsync(RecordInput input, ActivityContext context)
    {
        var roles = new Dictionary<string, string>(context.Cluster!.Roles) { ["master"] = context.Cluster.Roles["slave"], ["slave"] = context.Cluster.Roles["master"] };
        if (context.DryRun) context.Plan("swap master and slave");
        return Task.FromResult(ActivityResult.Done() with { NewClusterRoles = roles });
    }
}

[Activity("GenerateKey", Mutates = true, PlansInDryRun = true, Description = "Makes a key; in a dry run only plans it.")]
[ActivityOutput("key", "the key (only after a real run)")]
public sealed class GenerateKey(ExecutionRecorder recorder) : Activity<RecordInput>
{
    protected override Task<ActivityResult> ExecuteAsync(RecordInput input, ActivityContext context)
    {
        if (context.DryRun)
        {
            context.Plan($"generate key {input.Name}");
            return Task.FromResult(ActivityResult.Done());
        }
        recorder.Record(input.Name);
        return Task.FromResult(ActivityResult.Done(new { key = new { value = "key-" + input.Name } }));
    }
}
