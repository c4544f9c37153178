using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace PgHa.FailoverBenchmarks;

/// <summary>
/// What this process allocates, by type: the runtime's GC AllocationTick events (one per ~100 KB allocated, naming
/// the type of the object that crossed the mark), summed while the sampler runs. Says where GC pressure comes from.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEvent = 10;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId != AllocationTickEvent || e.Payload is null || e.PayloadNames is null) return;
        var type = e.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }

    /// <summary>The types that crossed the most allocation marks since the last call, largest first, and resets.</summary>
    public IReadOnlyList<(string Type, long Bytes)> TakeTop(int count)
    {
        var top = _bytes.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (kv.Key, kv.Value)).ToList();
        _bytes.Clear();
        return top;
    }
}
