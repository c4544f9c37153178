using System.Diagnostics;
using Npgsql;

namespace PgHa.Activities.Tests;

/// <summary>
/// An application's view of a switchover: ONE connection through a pgbouncer, held for the whole test, committing a
/// counter row every 10 ms and reconnecting only after an error (as a connection pool does). Records every
/// acknowledged commit with the server that took it (inet_server_addr()), every failed attempt, and the gaps.
/// </summary>
public sealed class HeldConnectionWriter : IAsyncDisposable
{
    public const string Table = "switchover_writes";

    private readonly string _connectionString;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public HeldConnectionWriter(string name, string bouncerAddress, int port, string password)
    {
        Name = name;
        _connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = bouncerAddress, Port = port, Database = "appdb", Username = "app", Password = password,
            Pooling = false, Timeout = 10, CommandTimeout = 30, ApplicationName = "switchover-writer-" + name,
        }.ConnectionString;
        _loop = Task.Run(RunAsync);
    }

    public string Name { get; }
    public List<(long N, TimeSpan At, string Server)> Acknowledged { get; } = new();
    public List<(long N, TimeSpan At, string Error)> Failed { get; } = new();
    public int Connections { get; private set; }

    /// <summary>Row → when the server that took it committed it (its clock_timestamp(), UTC), not when the ack arrived.</summary>
    public Dictionary<long, DateTime> CommittedAt { get; } = new();

    /// <summary>Creates the table on the primary, directly (not through pgbouncer).</summary>
    public static async Task CreateTableAsync(string primaryAddress, string password)
    {
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = primaryAddress, Port = 5432, Database = "appdb", Username = "app", Password = password, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE TABLE IF NOT EXISTS {Table} (writer text NOT NULL, n bigint NOT NULL, server inet, at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (writer, n))", c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The longest time between two acknowledged commits since <paramref name="from"/>.</summary>
    public TimeSpan LongestGap(TimeSpan from = default) => LongestGapWithStart(from).Length;

    /// <summary>The longest gap since <paramref name="from"/> and the acknowledgement it starts after (this writer's clock).</summary>
    public (TimeSpan Start, TimeSpan Length) LongestGapWithStart(TimeSpan from = default)
    {
        lock (Acknowledged)
        {
            var times = Acknowledged.Where(a => a.At >= from).Select(a => a.At).ToList();
            return times.Zip(times.Skip(1), (a, b) => (a, b - a)).DefaultIfEmpty().MaxBy(g => g.Item2);
        }
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>A moment on this writer's clock as wall-clock time (UTC).</summary>
    public DateTime WallClock(TimeSpan at) => _startedAt + at;

    /// <summary>A wall-clock moment (a node's start, say) on this writer's clock.</summary>
    public TimeSpan OnClock(DateTime utc) => utc - _startedAt;

    public int CommitsSince(TimeSpan from)
    {
        lock (Acknowledged) return Acknowledged.Count(a => a.At >= from);
    }

    public int FailedSince(TimeSpan from)
    {
        lock (Acknowledged) return Failed.Count(f => f.At >= from);
    }

    public async Task WaitForCommitsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int start;
        lock (Acknowledged) start = Acknowledged.Count;
        while (true)
        {
            lock (Acknowledged) if (Acknowledged.Count >= start + count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"writer {Name} committed fewer than {count} rows in {timeout.TotalSeconds:0} s; last errors: {string.Join(" | ", Failed.TakeLast(3).Select(f => f.Error))}");
            await Task.Delay(20);
        }
    }

    private async Task RunAsync()
    {
        long n = 0;
        NpgsqlConnection? connection = null;
        while (!_stop.IsCancellationRequested)
        {
            n++;
            try
            {
                if (connection is null)
                {
                    connection = new NpgsqlConnection(_connectionString);
                    await connection.OpenAsync(_stop.Token);
                    Connections++;
                }
                await using var cmd = new NpgsqlCommand($"INSERT INTO {Table} (writer, n, server) VALUES ($1, $2, inet_server_addr()) RETURNING host(server), at", connection);
                cmd.Parameters.Add(new NpgsqlParameter { Value = Name });
                cmd.Parameters.Add(new NpgsqlParameter { Value = n });
                await using var row = await cmd.ExecuteReaderAsync(_stop.Token);
                await row.ReadAsync(_stop.Token);
                var (server, committedAt) = (row.GetString(0), row.GetFieldValue<DateTime>(1));
                lock (Acknowledged)
                {
                    Acknowledged.Add((n, _clock.Elapsed, server));
                    CommittedAt[n] = committedAt;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
            {
                lock (Acknowledged) Failed.Add((n, _clock.Elapsed, e.Message));
                if (connection is not null) await connection.DisposeAsync();
                connection = null;
            }
            try { await Task.Delay(10, _stop.Token); } catch (OperationCanceledException) { break; }
        }
        if (connection is not null) await connection.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
