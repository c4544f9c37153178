namespace PgHa.Remote;

/// <summary>
/// SSH.NET waits synchronously inside some of its calls (ExecuteAsync opens the channel and sends the exec request
/// before it returns its task; CancelAsync and some SFTP requests wait for the server's answer): each holds its thread
/// for a network round trip, and longer while sshd sets up the session. On the thread pool, a few at once can starve it
/// on a small machine and stall everything else in the process until the pool adds threads.
/// </summary>
internal static class DedicatedThread
{
    public static Task RunAsync(Func<Task> call) => StartAsync(call).Unwrap();

    /// <summary>Starts <paramref name="call"/> on a thread of its own and returns the task it started (not awaited).</summary>
    public static Task<Task> StartAsync(Func<Task> call) =>
        Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static Task RunAsync(Action call) =>
        Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
