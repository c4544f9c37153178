using Microsoft.Data.Sqlite;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store.Tests;

public sealed record TestData(string Name, int Count);

/// <summary>A SQLite store in a fresh temp file, deleted (with its WAL files) on dispose.</summary>
public sealed class TempStore : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pgha-store-tests", Guid.NewGuid().ToString("N") + ".db");
    public AllowListSerializer Serializer { get; } = new AllowListSerializer().Register<TestData>("test.data");
    public SqlitePgHaDbContextFactory Factory { get; }

    public TempStore()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        Factory = new SqlitePgHaDbContextFactory(Path);
    }

    public EfCorePersistenceProvider CreateProvider(params ICheckpointContributor[] contributors)
    {
        var provider = new EfCorePersistenceProvider(Factory, Serializer, contributors);
        provider.EnsureStoreExists();
        return provider;
    }

    /// <summary>A provider that keeps its committed graphs, as the engine's does.</summary>
    public EfCorePersistenceProvider CreateCachingProvider(params ICheckpointContributor[] contributors)
    {
        var provider = new EfCorePersistenceProvider(Factory, Serializer, contributors, storeOptions: new PgHaStoreOptions { CacheCommittedGraphs = true });
        provider.EnsureStoreExists();
        return provider;
    }

    public PgHaDbContext Db() => Factory.CreateDbContext();

    /// <summary>Reads one scalar with a raw connection, bypassing EF (to see exactly what is stored).</summary>
    public object? Scalar(string sql)
    {
        using var conn = new SqliteConnection($"Data Source={Path};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(Path + suffix); } catch (IOException) { }
        }
    }
}

internal static class Samples
{
    public static DateTime Utc(int year, int month, int day, int h = 0, int m = 0, int s = 0, int ms = 0)
        => new DateTime(year, month, day, h, m, s, ms, DateTimeKind.Utc);

    public static WorkflowInstance NewInstance(object? data = null, WorkflowStatus status = WorkflowStatus.Runnable, long? nextExecution = 0)
    {
        var wf = new WorkflowInstance
        {
            WorkflowDefinitionId = "def-1",
            Version = 3,
            Description = "desc",
            Reference = "ref-1",
            Status = status,
            NextExecution = nextExecution,
            Data = data ?? new TestData("n", 1),
            CreateTime = Utc(2025, 1, 2, 3, 4, 5, 6),
        };
        wf.ExecutionPointers.Add(new ExecutionPointer
        {
            Id = Guid.NewGuid().ToString(),
            StepId = 0,
            Active = true,
            Status = PointerStatus.Pending,
        });
        return wf;
    }

    public static EventSubscription Subscription(string workflowId, string name, string key, DateTime asOf) => new()
    {
        WorkflowId = workflowId,
        StepId = 2,
        ExecutionPointerId = Guid.NewGuid().ToString(),
        EventName = name,
        EventKey = key,
        SubscribeAsOf = asOf,
        SubscriptionData = "sub-data",
    };

    public static Event Event(string name, string key, DateTime time, object? data = null) => new()
    {
        EventName = name,
        EventKey = key,
        EventTime = time,
        EventData = data ?? "payload",
    };

    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Timed out after {timeout.TotalSeconds}s waiting for: {what}");
    }
}
