namespace PgHa.FailoverBenchmarks;

/// <summary>
/// Measures how long this process stops running its tasks (a 5 ms timer that fires late): the held-connection writers
/// live in this process, so a gap that coincides with a stall of the process is the client's, not the database's.
/// </summary>
internal sealed class Heartbeat
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<(TimeSpan Longest, DateTime At)> _loop;

    private Heartbeat() => _loop = Task.Run(LoopAsync);

    public static Heartbeat Start() => new();

    public async Task<(TimeSpan Longest, DateTime At)> StopAsync()
    {
        await _stop.CancelAsync();
        var worst = await _loop;
        _stop.Dispose();
        return worst;
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
