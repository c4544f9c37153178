namespace PgHa.Workflows.Store.Entities;

/// <summary>
/// A host of a cluster that must never accept writes as a primary again (table HostFences): recorded by an unplanned
/// failover's FenceHost, carried out at once when the host answers, else by the server as soon as it does. The host
/// stays fenced until it is rebuilt as a standby.
/// </summary>
public class HostFenceRecord
{
    public string ClusterId { get; set; } = "";
    public string Host { get; set; } = "";

    /// <summary>pending (the host did not answer yet), done (stopped and re-pointed) or failed (the last attempt failed; retried).</summary>
    public string State { get; set; } = HostFenceStates.Pending;

    public string Reason { get; set; } = "";
    public string RecordedBy { get; set; } = "";
    public DateTime RecordedAt { get; set; }
    public DateTime? CarriedOutAt { get; set; }

    /// <summary>What the last attempt did or why it failed (no secrets: script output is redacted before it gets here).</summary>
    public string? Result { get; set; }

    public int Attempts { get; set; }

    /// <summary>A server working on the fence holds it until then, so two servers sharing a store do not both act.</summary>
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimedUntil { get; set; }
}

public static class HostFenceStates
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Failed = "failed";
}
