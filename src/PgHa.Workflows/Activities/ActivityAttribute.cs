namespace PgHa.Workflows.Activities;

/// <summary>Declares an activity: its name in runbooks, what it does, and the outcomes its edges can be labelled with.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ActivityAttribute(string name) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; init; } = "";
    public string Category { get; init; } = "General";
    public string[] Outcomes { get; init; } = [ActivityOutcomes.Done, ActivityOutcomes.Failed];

    /// <summary>True when the activity changes hosts or databases.</summary>
    public bool Mutates { get; init; }

    /// <summary>
    /// True when the activity has a plan mode: with <see cref="ActivityContext.DryRun"/> it performs only read-only
    /// checks, records each change it would make with <see cref="ActivityContext.Plan"/> (the exact command, the file and
    /// its new content or diff, the SQL), and returns outputs of the real run's shape, with <see cref="PlannedValue"/>
    /// placeholders where a value exists only after the change. A dry run refuses a <see cref="Mutates"/> activity without it.
    /// </summary>
    public bool PlansInDryRun { get; init; }
}

/// <summary>Declares one output an activity writes, readable by later nodes as <c>${nodes.&lt;id&gt;.outputs.&lt;name&gt;}</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ActivityOutputAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
}

public static class ActivityOutcomes
{
    public const string Done = "Done";
    public const string Failed = "Failed";
    public const string Approved = "Approved";
    public const string Rejected = "Rejected";
    public const string TimedOut = "TimedOut";
}
