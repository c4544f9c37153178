using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities;

/// <summary>The result of one host's share of an activity.</summary>
public sealed record HostOutcome<T>(HostRef Host, T? Value, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>Runs one piece of work per host concurrently (WorkflowCore runs branches one at a time, so the parallelism lives here).</summary>
public static class HostFanOut
{
    public static async Task<IReadOnlyList<HostOutcome<T>>> RunAsync<T>(IReadOnlyList<HostRef> hosts, ActivityContext context,
        Func<HostRef, Action<string>, Task<T>> work)
    {
        var tasks = hosts.Select(async host =>
        {
            void Log(string line) => context.Log($"[{host.Name}] {line}");
            try
            {
                return new HostOutcome<T>(host, await work(host, Log), null);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is RemoteException or ActivityInputException or IOException or InvalidOperationException
                                          or PgHa.Postgres.PostgresProbeException or PgHa.Postgres.PgBouncer.PgBouncerAdminException
                                          or Npgsql.NpgsqlException or TimeoutException)
            {
                Log("FAILED: " + e.Message);
                return new HostOutcome<T>(host, default, e.Message);
            }
        });
        return await Task.WhenAll(tasks);
    }

    public static string Failures<T>(IEnumerable<HostOutcome<T>> outcomes) =>
        string.Join("; ", outcomes.Where(o => !o.Succeeded).Select(o => $"{o.Host}: {o.Error}"));
}
