namespace PgHa.Workflows.Validation;

/// <summary>One problem in a runbook: which node (if any), which field, and what to do about it.</summary>
public sealed record RunbookError(string? NodeId, string Field, string Message)
{
    public override string ToString() => NodeId is null
        ? $"{Field}: {Message}"
        : $"node '{NodeId}', {Field}: {Message}";
}

public sealed class RunbookValidationException(IReadOnlyList<RunbookError> errors)
    : Exception("The runbook is invalid:\n" + string.Join("\n", errors.Select(e => " - " + e)))
{
    public IReadOnlyList<RunbookError> Errors { get; } = errors;
}
