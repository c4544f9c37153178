using System.ComponentModel;

namespace PgHa.Workflows.Activities.BuiltIn;

[Activity("Fork", Category = "Flow", Outcomes = [ActivityOutcomes.Done],
    Description = "Starts parallel branches: every connection on Done starts one branch; all must end at the same Join.")]
public sealed class Fork : Activity<NoInput>
{
    protected override Task<ActivityResult> ExecuteAsync(NoInput input, ActivityContext context) =>
        Task.FromResult(ActivityResult.Done());
}

[Activity("Join", Category = "Flow", Outcomes = [ActivityOutcomes.Done],
    Description = "Waits until every branch of its Fork has arrived, then continues once.")]
public sealed class Join : Activity<NoInput>
{
    // The engine handles arrivals itself (it must see which branch arrived); this class declares the node type.
    protected override Task<ActivityResult> ExecuteAsync(NoInput input, ActivityContext context) =>
        Task.FromResult(ActivityResult.Done());
}

public sealed record FailInput
{
    [Description("Why the run stops here; shown in the journal and as the run's error.")]
    public required string Message { get; init; }
}

[Activity("Fail", Category = "Flow", Outcomes = [ActivityOutcomes.Failed],
    Description = "Ends the run as failed with a message (e.g. on the Rejected branch of an approval).")]
public sealed class Fail : Activity<FailInput>
{
    protected override Task<ActivityResult> ExecuteAsync(FailInput input, ActivityContext context) =>
        Task.FromResult(ActivityResult.Failed(input.Message));
}

public sealed record DelayInput
{
    [Description("How long to wait, in seconds. The wait survives server restarts.")]
    [System.ComponentModel.DataAnnotations.Range(0, 7 * 86_400)]
    public required int Seconds { get; init; }
}

[Activity("Delay", Category = "Flow", Outcomes = [ActivityOutcomes.Done],
    Description = "Waits a number of seconds without holding the run in memory.")]
public sealed class Delay : Activity<DelayInput>
{
    protected override Task<ActivityResult> ExecuteAsync(DelayInput input, ActivityContext context)
    {
        if (input.Seconds < 0) return Task.FromResult(ActivityResult.Failed("seconds must not be negative"));
        if (context.DryRun)
        {
            context.Plan($"would wait {input.Seconds} s");
            return Task.FromResult(ActivityResult.Done());
        }
        context.Log($"waiting {input.Seconds} s");
        return Task.FromResult(input.Seconds == 0 ? ActivityResult.Done() : ActivityResult.SleepFor(TimeSpan.FromSeconds(input.Seconds)));
    }
}

public sealed record LogInput
{
    [Description("Text to write to the run's journal; templates are resolved.")]
    public required string Message { get; init; }
}

[Activity("Log", Category = "Flow", Outcomes = [ActivityOutcomes.Done],
    Description = "Writes a message to the journal and passes it on as output 'message'.")]
[ActivityOutput("message", "The message as written")]
public sealed class Log : Activity<LogInput>
{
    protected override Task<ActivityResult> ExecuteAsync(LogInput input, ActivityContext context)
    {
        context.Log(input.Message);
        return Task.FromResult(ActivityResult.Done(new { message = input.Message }));
    }
}
