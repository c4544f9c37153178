using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PgHa.Lab;

/// <summary>
/// Machine-wide lock around bring-up and teardown: the bridge, namespaces and users are machine-wide, so two
/// processes (a CLI and a test run) must never build or tear the lab down at the same time. On Linux, .NET takes
/// an flock for FileShare.None, released by the kernel even if the holder is killed.
/// </summary>
internal static class LabLock
{
    private const string LockFile = "/run/pgha-lab.lock";
    private const string UsersFile = "/run/pgha-lab.users";

    /// <summary>Exclusive: only one bring-up or teardown at a time.</summary>
    public static Task<IDisposable> AcquireAsync(ILogger logger, TimeSpan timeout, CancellationToken ct) =>
        TakeAsync(LockFile, FileShare.None, logger, timeout, "Another process is bringing the lab up or down; waiting for it", ct);

    /// <summary>Shared: held by whoever is using the lab (a test run); teardown waits until every user is gone.</summary>
    public static Task<IDisposable> UseAsync(ILogger logger, TimeSpan timeout, CancellationToken ct) =>
        TakeAsync(UsersFile, FileShare.ReadWrite, logger, timeout, "The lab is being torn down; waiting", ct);

    /// <summary>Exclusive on the users file: no process is using the lab any more.</summary>
    public static Task<IDisposable> NoUsersAsync(ILogger logger, TimeSpan timeout, CancellationToken ct) =>
        TakeAsync(UsersFile, FileShare.None, logger, timeout, "Another process is using the lab (see `fuser " + UsersFile + "`); waiting until it is done", ct);

    // .NET on Linux takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) otherwise.
    private static async Task<IDisposable> TakeAsync(string file, FileShare share, ILogger logger, TimeSpan timeout, string waitingMessage, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, share);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                if (!told) logger.LogInformation("{Message} ({LockFile})", waitingMessage, file);
                told = true;
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new LabException($"Gave up after {timeout.TotalMinutes:0} min: {waitingMessage} ({file}).", e);
            }
        }
    }
}
