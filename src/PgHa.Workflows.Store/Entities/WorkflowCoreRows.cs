using WorkflowCore.Models;

namespace PgHa.Workflows.Store.Entities;

// Row shapes of WorkflowCore's own tables (B.1): same table and column names as its EF provider so data
// can move between stores. Serialized columns hold the allow-list format, never CLR type names.

public class PersistedWorkflow
{
    public long PersistenceId { get; set; }
    public Guid InstanceId { get; set; }
    public string WorkflowDefinitionId { get; set; } = "";
    public int Version { get; set; }
    public string? Description { get; set; }
    public string? Reference { get; set; }
    /// <summary>UTC ticks; null while only waiting for events.</summary>
    public long? NextExecution { get; set; }
    public string? Data { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime? CompleteTime { get; set; }
    public WorkflowStatus Status { get; set; }
    /// <summary>Optimistic concurrency token, bumped by every PersistWorkflow.</summary>
    public long RowVersion { get; set; }
    public List<PersistedExecutionPointer> ExecutionPointers { get; set; } = new();
}

public class PersistedExecutionPointer
{
    public long PersistenceId { get; set; }
    public long WorkflowId { get; set; }
    public PersistedWorkflow? Workflow { get; set; }
    public string Id { get; set; } = "";
    public int StepId { get; set; }
    public bool Active { get; set; }
    public DateTime? SleepUntil { get; set; }
    public string? PersistenceData { get; set; }
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }
    public string? EventName { get; set; }
    public string? EventKey { get; set; }
    public bool EventPublished { get; set; }
    public string? EventData { get; set; }
    public string? StepName { get; set; }
    public int RetryCount { get; set; }
    public string? Children { get; set; }
    public string? ContextItem { get; set; }
    public string? PredecessorId { get; set; }
    public string? Outcome { get; set; }
    public PointerStatus Status { get; set; }
    public string? Scope { get; set; }
    public List<PersistedExtensionAttribute> ExtensionAttributes { get; set; } = new();
}

public class PersistedExtensionAttribute
{
    public long PersistenceId { get; set; }
    public long ExecutionPointerId { get; set; }
    public PersistedExecutionPointer? ExecutionPointer { get; set; }
    public string AttributeKey { get; set; } = "";
    public string? AttributeValue { get; set; }
}

public class PersistedSubscription
{
    public long PersistenceId { get; set; }
    public Guid SubscriptionId { get; set; }
    public string? WorkflowId { get; set; }
    public int StepId { get; set; }
    public string? ExecutionPointerId { get; set; }
    public string? EventName { get; set; }
    public string? EventKey { get; set; }
    public DateTime SubscribeAsOf { get; set; }
    public string? SubscriptionData { get; set; }
    public string? ExternalToken { get; set; }
    public string? ExternalWorkerId { get; set; }
    public DateTime? ExternalTokenExpiry { get; set; }
}

public class PersistedEvent
{
    public long PersistenceId { get; set; }
    public Guid EventId { get; set; }
    public string? EventName { get; set; }
    public string? EventKey { get; set; }
    public string? EventData { get; set; }
    public DateTime EventTime { get; set; }
    public bool IsProcessed { get; set; }
}

public class PersistedExecutionError
{
    public long PersistenceId { get; set; }
    public string? WorkflowId { get; set; }
    public string? ExecutionPointerId { get; set; }
    public DateTime ErrorTime { get; set; }
    public string? Message { get; set; }
}

public class PersistedScheduledCommand
{
    public long PersistenceId { get; set; }
    public string CommandName { get; set; } = "";
    public string Data { get; set; } = "";
    /// <summary>UTC ticks.</summary>
    public long ExecuteTime { get; set; }
}
