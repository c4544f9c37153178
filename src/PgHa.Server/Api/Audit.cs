namespace PgHa.Server.Api;

/// <summary>
/// The audit trail: one structured event per start, cancel, decision, runbook save and publish, under the category <c>PgHa.Audit</c> with
/// event name <c>Audit</c>, so it can be filtered out of the rolling log file.
/// </summary>
public sealed class Audit(ILoggerFactory loggers)
{
    private static readonly EventId AuditEvent = new(9000, "Audit");
    private readonly ILogger _logger = loggers.CreateLogger("PgHa.Audit");

    public void Record(string principal, string action, string runId, string? nodeId = null, string? detail = null) =>
        _logger.LogInformation(AuditEvent, "Audit {Action} by {Principal} on run {RunId} node {NodeId}: {Detail}",
            action, principal, runId, nodeId, detail);

    public void RecordRunbook(string principal, string action, string runbookId, int version, string detail) =>
        _logger.LogInformation(AuditEvent, "Audit {Action} by {Principal} on runbook {RunbookId} v{Version}: {Detail}",
            action, principal, runbookId, version, detail);
}
