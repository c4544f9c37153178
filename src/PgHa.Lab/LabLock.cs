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

    public static async Task<IDisposable> AcquireAsync(ILogger logger, TimeSpan timeout, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                if (!told) logger.LogInformation("Another process is bringing the lab up or down; waiting for it ({LockFile})", LockFile);
                told = true;
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new LabException($"Another process has held the lab lock {LockFile} for {timeout.TotalMinutes:0} min; giving up.", e);
            }
        }
    }
}
