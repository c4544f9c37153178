namespace PgHa.Workflows.Activities;

/// <summary>
/// A node type. Implementations must be idempotent: a resumed run re-executes the node that was in flight,
/// so an activity checks the current state before it acts.
/// </summary>
public interface IActivity
{
    Type InputType { get; }

    Task<ActivityResult> ExecuteAsync(object input, ActivityContext context);
}

/// <summary>An activity with a typed input record; the record is the single source of the input schema.</summary>
public abstract class Activity<TInput> : IActivity where TInput : class
{
    public Type InputType => typeof(TInput);

    public Task<ActivityResult> ExecuteAsync(object input, ActivityContext context) =>
        ExecuteAsync((TInput)input, context);

    protected abstract Task<ActivityResult> ExecuteAsync(TInput input, ActivityContext context);
}

/// <summary>Input of activities that take none.</summary>
public sealed record NoInput;
