namespace PgHa.FailoverBenchmarks;

/// <summary>
/// Measures how long this process stops running its tasks (a 5 ms timer that fires late): the held-connection writers
/// live in this process, so a gap that coincides with a stall of the process is the client's, not the database's.
/// (The engine runs in this process too, so such a stall inside the pause window lengthens the window itself.)
/// </summary>
internal sealed class Heartbeat
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _gcPauseBefore = GC.GetTotalPauseDuration();
    private readonly long _allocatedBefore = GC.GetTotalAllocatedBytes();
    private readonly int _collectionsBefore = GC.CollectionCount(0);
    private readonly Task<(TimeSpan Longest, DateTime At)> _loop;

    private Heartbeat() => _loop = Task.Run(LoopAsync);

    public static Heartbeat Start() => new();

    /// <summary>The longest stall and when it began, how long garbage collections paused the process meanwhile, how many there were and what was allocated.</summary>
    public async Task<(TimeSpan Longest, DateTime At, TimeSpan GcPauses, int Collections, long AllocatedBytes)> StopAsync()
    {
        await _stop.CancelAsync();
        var (longest, at) = await _loop;
        _stop.Dispose();
        return (longest, at, GC.GetTotalPauseDuration() - _gcPauseBefore, GC.CollectionCount(0) - _collectionsBefore, GC.GetTotalAllocatedBytes() - _allocatedBefore);
    }

    private async Task<(TimeSpan Longest, DateTime At)> LoopAsync()
    {
        var worst = (Longest: TimeSpan.Zero, At: DateTime.UtcNow);
        while (!_stop.IsCancellationRequested)
        {
            var before = DateTime.UtcNow;
            try { await Task.Delay(5, _stop.Token); }
            catch (OperationCanceledException) { break; }
            var late = DateTime.UtcNow - before - TimeSpan.FromMilliseconds(5);
            if (late > worst.Longest) worst = (late, before);
        }
        return worst;
    }
}
