using PgHa.Workflows.Validation;

namespace PgHa.Workflows.Runtime;

/// <summary>A request the runtime refuses; the message says what to change.</summary>
public abstract class RuntimeRequestException(string message) : Exception(message);

public sealed class NotFoundException(string what, string id, string hint)
    : RuntimeRequestException($"{what} '{id}' does not exist; {hint}")
{
    public string What { get; } = what;
}

/// <summary>Bad run inputs, one error per field.</summary>
public sealed class RunInputException(IReadOnlyList<RunbookError> errors)
    : RuntimeRequestException("The run inputs are invalid:\n" + string.Join("\n", errors.Select(e => " - " + e)))
{
    public IReadOnlyList<RunbookError> Errors { get; } = errors;
}

/// <summary>The request conflicts with the current state (a busy cluster, a decided approval, a finished run).</summary>
public sealed class ConflictException(string message) : RuntimeRequestException(message);

/// <summary>The caller may not do this (e.g. decide an approval reserved for another role).</summary>
public sealed class ForbiddenException(string message) : RuntimeRequestException(message);

/// <summary>A dry run of a runbook with nodes whose activity cannot plan; one error per node.</summary>
public sealed class DryRunRefusedException(IReadOnlyList<RunbookError> errors)
    : RuntimeRequestException("This runbook cannot be dry-run:\n" + string.Join("\n", errors.Select(e => " - " + e)))
{
    public IReadOnlyList<RunbookError> Errors { get; } = errors;
}

/// <summary>A runbook that names roles, hosts or secrets the run's cluster lacks; one error per node and field.</summary>
public sealed class ClusterFitException(string clusterId, IReadOnlyList<RunbookError> errors)
    : RuntimeRequestException($"The runbook does not fit cluster '{clusterId}':\n" + string.Join("\n", errors.Select(e => " - " + e)))
{
    public IReadOnlyList<RunbookError> Errors { get; } = errors;
}
