using System.Collections.Concurrent;

namespace PgHa.Workflows.Runtime;

/// <summary>In-memory cancellation signal per run, so a node in flight stops at once when its run is cancelled.</summary>
public sealed class RunCancellations
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _sources = new(StringComparer.Ordinal);

    public CancellationToken TokenFor(string runId) => _sources.GetOrAdd(runId, _ => new CancellationTokenSource()).Token;

    public bool IsCancelled(string runId) => _sources.TryGetValue(runId, out var s) && s.IsCancellationRequested;

    public void Cancel(string runId) => _sources.GetOrAdd(runId, _ => new CancellationTokenSource()).Cancel();

    public void Forget(string runId)
    {
        if (_sources.TryRemove(runId, out var s)) s.Dispose();
    }
}
