using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store.Tests;

/// <summary>
/// The checkpoint's cost must not grow with the history of the run: a fixed number of reads, and writes only for
/// what changed (wall-clock timings are too noisy on a shared box to prove this; statement counts are exact).
/// </summary>
public sealed class QueryShapeTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private sealed class CommandLog : DbCommandInterceptor
    {
        public List<string> Sql { get; } = new();
        private void Add(DbCommand command)
        {
            lock (Sql) Sql.Add(command.CommandText);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Add(command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Add(command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Add(command);
            return ValueTask.FromResult(result);
        }
    }

    private (EfCorePersistenceProvider Provider, CommandLog Log) Provider(bool cacheCommittedGraphs = false)
    {
        var log = new CommandLog();
        var options = new DbContextOptionsBuilder<SqlitePgHaDbContext>(SqliteStore.BuildOptions(_store.Path)).AddInterceptors(log).Options;
        var provider = new EfCorePersistenceProvider(new SqlitePgHaDbContextFactory(options), _store.Serializer, Array.Empty<ICheckpointContributor>(),
            storeOptions: new PgHaStoreOptions { CacheCommittedGraphs = cacheCommittedGraphs });
        provider.EnsureStoreExists();
        return (provider, log);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(60)]
    public async Task Load_and_checkpoint_use_a_fixed_number_of_statements_whatever_the_history(int completedPointers)
    {
        var (provider, log) = Provider();
        var wf = Samples.NewInstance();
        for (var i = 0; i < completedPointers; i++)
        {
            var p = new ExecutionPointer { Id = "done-" + i, StepId = i, Status = PointerStatus.Complete, EndTime = DateTime.UtcNow };
            p.ExtensionAttributes["node"] = "n" + i;
            wf.ExecutionPointers.Add(p);
        }
        var id = await provider.CreateNewWorkflow(wf);

        log.Sql.Clear();
        var loaded = await provider.GetWorkflowInstance(id);
        Assert.Equal(3, log.Sql.Count);
        Assert.All(log.Sql, s => Assert.StartsWith("SELECT", s.TrimStart()));

        var current = loaded.ExecutionPointers.First();
        current.Status = PointerStatus.Complete;
        current.ExtensionAttributes["node"] = "first";
        loaded.ExecutionPointers.Add(new ExecutionPointer { Id = "next", StepId = 99, Active = true, Status = PointerStatus.Pending });
        log.Sql.Clear();
        await provider.PersistWorkflow(loaded);

        // 3 reads; then: update the changed pointer, insert the new one, insert the attribute, update the workflow row.
        Assert.Equal(3, log.Sql.Count(s => s.TrimStart().StartsWith("SELECT")));
        Assert.Single(log.Sql, s => s.Contains("UPDATE \"ExecutionPointer\""));
        Assert.Single(log.Sql, s => s.Contains("INSERT INTO \"ExecutionPointer\""));
        Assert.Single(log.Sql, s => s.Contains("INSERT INTO \"ExtensionAttribute\""));
        Assert.Single(log.Sql, s => s.Contains("UPDATE \"Workflow\""));
        Assert.Equal(7, log.Sql.Count);

        // An unchanged instance costs the reads and the row-version bump only.
        log.Sql.Clear();
        await provider.PersistWorkflow((await provider.GetWorkflowInstance(id))!);
        Assert.Equal(3 + 3 + 1, log.Sql.Count);
    }

    [Fact]
    public async Task With_the_committed_graph_cached_a_checkpoint_only_writes_and_a_load_checks_one_version()
    {
        var (provider, log) = Provider(cacheCommittedGraphs: true);
        var wf = Samples.NewInstance();
        for (var i = 0; i < 60; i++)
            wf.ExecutionPointers.Add(new ExecutionPointer { Id = "done-" + i, StepId = i, Status = PointerStatus.Complete, EndTime = DateTime.UtcNow });
        var id = await provider.CreateNewWorkflow(wf);
        await provider.PersistWorkflow((await provider.GetWorkflowInstance(id))!); // caches the committed graph

        log.Sql.Clear();
        var loaded = (await provider.GetWorkflowInstance(id))!;
        Assert.Single(log.Sql, s => s.Contains("\"RowVersion\"") && s.TrimStart().StartsWith("SELECT"));
        Assert.Equal(61, loaded.ExecutionPointers.Count);

        loaded.ExecutionPointers.First().Status = PointerStatus.Complete;
        loaded.ExecutionPointers.Add(new ExecutionPointer { Id = "next", StepId = 99, Active = true, Status = PointerStatus.Pending });
        log.Sql.Clear();
        await provider.PersistWorkflow(loaded);
        Assert.DoesNotContain(log.Sql, s => s.TrimStart().StartsWith("SELECT"));
        Assert.Equal(3, log.Sql.Count); // workflow row (version-checked), the changed pointer, the new pointer

        var again = (await provider.GetWorkflowInstance(id))!;
        Assert.Equal(62, again.ExecutionPointers.Count);
        Assert.Equal(PointerStatus.Complete, again.ExecutionPointers.First().Status);
        Assert.Equal("next", again.ExecutionPointers.Last().Id);
    }
}
