using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace PgHa.Workflows.Runtime;

/// <summary>A change in a run, for live views (SSE, CLI --follow). The journal is the durable record.</summary>
public sealed record RunEvent
{
    public required long Sequence { get; init; }
    public required string RunId { get; init; }
    public required string Kind { get; init; }
    public string? NodeId { get; init; }
    public int? Attempt { get; init; }
    public string? Status { get; init; }
    public string? Outcome { get; init; }
    public string? Message { get; init; }
    public DateTime AtUtc { get; init; } = DateTime.UtcNow;
}

public static class RunEventKinds
{
    public const string RunStarted = "run.started";
    public const string RunEnded = "run.ended";
    public const string NodeStarted = "node.started";
    public const string NodeLog = "node.log";
    public const string NodeEnded = "node.ended";
    public const string ApprovalRequested = "approval.requested";
    public const string ApprovalDecided = "approval.decided";
}

/// <summary>Fans run events out to subscribers; a slow subscriber loses its oldest events rather than blocking a run.</summary>
public sealed class RunEvents
{
    private readonly ConcurrentDictionary<Guid, (string? RunId, Channel<RunEvent> Channel)> _subscribers = new();
    private long _sequence;

    public void Publish(string runId, string kind, string? nodeId = null, int? attempt = null, string? status = null,
        string? outcome = null, string? message = null)
    {
        var e = new RunEvent
        {
            Sequence = Interlocked.Increment(ref _sequence), RunId = runId, Kind = kind, NodeId = nodeId,
            Attempt = attempt, Status = status, Outcome = outcome, Message = message,
        };
        foreach (var (_, (filter, channel)) in _subscribers)
            if (filter is null || filter == runId)
                channel.Writer.TryWrite(e);
    }

    /// <summary>Starts buffering events at once, so nothing published after this call is missed.</summary>
    public RunSubscription Subscribe(string? runId)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(10_000)
            { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _subscribers[id] = (runId, channel);
        return new RunSubscription(channel.Reader, () => _subscribers.TryRemove(id, out _));
    }

    public static string ToJson(RunEvent e) => JsonSerializer.Serialize(e, JsonSerializerOptions.Web);
}

public sealed class RunSubscription(ChannelReader<RunEvent> reader, Action unsubscribe) : IDisposable
{
    public IAsyncEnumerable<RunEvent> ReadAllAsync(CancellationToken cancellationToken) => reader.ReadAllAsync(cancellationToken);

    public bool TryRead(out RunEvent? e) => reader.TryRead(out e);

    public void Dispose() => unsubscribe();
}
