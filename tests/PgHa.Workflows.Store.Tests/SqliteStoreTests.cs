using Microsoft.EntityFrameworkCore;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Models;
using static PgHa.Workflows.Store.Tests.Samples;

namespace PgHa.Workflows.Store.Tests;

/// <summary>SQLite-specific guarantees: schema and migrations, atomic checkpoints with contributors, stored text.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void Migration_applies_on_an_empty_file_is_idempotent_and_leaves_wal_mode()
    {
        Assert.False(File.Exists(_store.Path));
        var provider = _store.CreateProvider();
        provider.EnsureStoreExists();
        _store.CreateProvider().EnsureStoreExists();

        Assert.Equal("wal", _store.Scalar("PRAGMA journal_mode;"));
        using var db = _store.Db();
        Assert.Equal((long)db.Database.GetMigrations().Count(), _store.Scalar("SELECT COUNT(*) FROM __EFMigrationsHistory;"));
        Assert.Empty(db.Database.GetPendingMigrations());
        foreach (var table in new[] { "Workflow", "ExecutionPointer", "ExtensionAttribute", "Subscription", "Event", "ExecutionError", "ScheduledCommand", "RunbookVersions", "Runs", "Journal", "Approvals", "Clusters" })
            Assert.Equal(1L, _store.Scalar($"SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='{table}';"));
    }

    [Theory]
    [InlineData("Workflow", "InstanceId", true)]
    [InlineData("Workflow", "Status,NextExecution", false)]
    [InlineData("ScheduledCommand", "CommandName,Data", true)]
    [InlineData("Event", "EventName,EventKey", false)]
    [InlineData("Runs", "WorkflowInstanceId", true)]
    [InlineData("Journal", "RunId,PointerId,Attempt", false)]
    [InlineData("Journal", "RunId,Id", false)]
    [InlineData("Approvals", "EventKey", true)]
    public void Expected_indexes_exist(string table, string columns, bool unique)
    {
        _store.CreateProvider();
        var sql = $"""
            SELECT COUNT(*) FROM pragma_index_list('{table}') il
            WHERE il."unique" = {(unique ? 1 : 0)}
              AND (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) = '{columns}';
            """;
        Assert.Equal(1L, _store.Scalar(sql));
    }

    [Fact]
    public void Each_connection_gets_normal_sync_and_a_busy_timeout()
    {
        _store.CreateProvider();
        using var db = _store.Db();
        db.Database.OpenConnection();
        using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = "PRAGMA synchronous;";
        Assert.Equal(1L, cmd.ExecuteScalar()); // NORMAL
        cmd.CommandText = "PRAGMA busy_timeout;";
        Assert.Equal(30000L, cmd.ExecuteScalar());
    }

    [Fact]
    public async Task Stored_columns_hold_tagged_json_without_type_names()
    {
        var provider = _store.CreateProvider();
        var wf = NewInstance(new TestData("x", 1));
        var ptr = wf.ExecutionPointers.First();
        ptr.PersistenceData = new ControlPersistenceData { ChildrenActive = true };
        ptr.Children = new List<string> { "a", "b" };
        ptr.ExtensionAttributes["k"] = "v";
        var id = await provider.CreateNewWorkflow(wf);
        await provider.CreateEvent(Event("e", "k", DateTime.UtcNow, new TestData("ev", 2)));

        Assert.Equal("""{"$t":"test.data","v":{"Name":"x","Count":1}}""", _store.Scalar("SELECT Data FROM Workflow;"));
        Assert.Equal("""{"$t":"wc.control","v":{"ChildrenActive":true}}""", _store.Scalar("SELECT PersistenceData FROM ExecutionPointer;"));
        Assert.Equal("a;b;", _store.Scalar("SELECT Children FROM ExecutionPointer;"));
        Assert.Equal("""{"$t":"string","v":"v"}""", _store.Scalar("SELECT AttributeValue FROM ExtensionAttribute;"));
        Assert.Equal("""{"$t":"test.data","v":{"Name":"ev","Count":2}}""", _store.Scalar("SELECT EventData FROM Event;"));
        var all = (string)_store.Scalar("SELECT group_concat(coalesce(Data,'') || coalesce(PersistenceData,'') || coalesce(EventData,'') || coalesce(Outcome,'') || coalesce(ContextItem,'')) FROM Workflow JOIN ExecutionPointer;")!;
        Assert.DoesNotContain("$type", all);
        Assert.DoesNotContain("WorkflowCore", all);
        Assert.DoesNotContain("PgHa", all);
        Assert.Null(_store.Scalar("SELECT Outcome FROM ExecutionPointer;"));
        Assert.NotNull(id);
    }

    [Fact]
    public async Task Unregistered_workflow_data_is_refused_and_nothing_is_written()
    {
        var provider = _store.CreateProvider();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.CreateNewWorkflow(NewInstance(new Uri("http://x"))));
        Assert.Contains("System.Uri", ex.Message);
        Assert.Equal(0L, _store.Scalar("SELECT COUNT(*) FROM Workflow;"));
    }

    private sealed class JournalContributor : ICheckpointContributor
    {
        public List<(string PointerId, PointerStatus Status)> Seen { get; } = new();
        public Func<WorkflowInstance, bool> Fail { get; set; } = _ => false;
        public bool DuplicateApproval { get; set; }

        public ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
        {
            var (db, instance) = (checkpoint.Db, checkpoint.Instance);
            foreach (var p in instance.ExecutionPointers) Seen.Add((p.Id, p.Status));
            if (Fail(instance)) throw new InvalidOperationException("contributor failed");
            db.Journal.Add(new JournalEntryRecord { RunId = instance.Id, NodeId = "n", PointerId = "p", Attempt = 1, Status = JournalStatus.Succeeded, StartedAt = DateTime.UtcNow });
            if (DuplicateApproval)
                db.Approvals.Add(new ApprovalRecord { RunId = instance.Id, NodeId = "n", PointerId = "p", EventKey = "dup", Prompt = "?", AllowedRole = "ops", RequestedAt = DateTime.UtcNow });
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Contributor_rows_commit_with_the_checkpoint_and_see_the_instance()
    {
        var contributor = new JournalContributor();
        var provider = _store.CreateProvider(contributor);
        var id = await provider.CreateNewWorkflow(NewInstance());
        var wf = (await provider.GetWorkflowInstance(id))!;
        var first = wf.ExecutionPointers.First();
        first.Status = PointerStatus.Complete;
        wf.ExecutionPointers.Add(new ExecutionPointer { Id = "next", StepId = 1, Active = true, Status = PointerStatus.Pending });

        await provider.PersistWorkflow(wf, new List<EventSubscription> { Subscription(id, "e", "k", Utc(2025, 1, 1)) });

        Assert.Contains((first.Id, PointerStatus.Complete), contributor.Seen);
        Assert.Contains(("next", PointerStatus.Pending), contributor.Seen);
        Assert.Equal(1L, _store.Scalar("SELECT COUNT(*) FROM Journal;"));
        Assert.Equal(1L, _store.Scalar("SELECT COUNT(*) FROM Subscription;"));
    }

    [Fact]
    public async Task A_throwing_contributor_rolls_back_state_and_subscriptions()
    {
        var contributor = new JournalContributor { Fail = _ => true };
        var provider = _store.CreateProvider(contributor);
        var id = await provider.CreateNewWorkflow(NewInstance());
        var wf = (await provider.GetWorkflowInstance(id))!;
        wf.ExecutionPointers.First().Status = PointerStatus.Complete;
        wf.Status = WorkflowStatus.Complete;

        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.PersistWorkflow(wf, new List<EventSubscription> { Subscription(id, "e", "k", Utc(2025, 1, 1)) }));

        var read = (await provider.GetWorkflowInstance(id))!;
        Assert.Equal(WorkflowStatus.Runnable, read.Status);
        Assert.Equal(PointerStatus.Pending, read.ExecutionPointers.First().Status);
        Assert.Equal(0L, _store.Scalar("SELECT COUNT(*) FROM Subscription;"));
        Assert.Equal(0L, _store.Scalar("SELECT COUNT(*) FROM Journal;"));
    }

    [Fact]
    public async Task A_contributor_row_failing_in_the_database_rolls_back_the_whole_checkpoint()
    {
        await using (var seed = _store.Db())
        {
            seed.Database.Migrate();
            seed.Approvals.Add(new ApprovalRecord { RunId = "r0", NodeId = "n", PointerId = "p", EventKey = "dup", Prompt = "?", AllowedRole = "ops", RequestedAt = DateTime.UtcNow });
            await seed.SaveChangesAsync();
        }
        var contributor = new JournalContributor { DuplicateApproval = true };
        var provider = _store.CreateProvider(contributor);
        var id = await provider.CreateNewWorkflow(NewInstance());
        var wf = (await provider.GetWorkflowInstance(id))!;
        wf.Status = WorkflowStatus.Complete;
        wf.ExecutionPointers.Add(new ExecutionPointer { Id = "new", StepId = 1 });

        await Assert.ThrowsAsync<DbUpdateException>(() => provider.PersistWorkflow(wf, new List<EventSubscription> { Subscription(id, "e", "k", Utc(2025, 1, 1)) }));

        var read = (await provider.GetWorkflowInstance(id))!;
        Assert.Equal(WorkflowStatus.Runnable, read.Status);
        Assert.Single(read.ExecutionPointers);
        Assert.Equal(0L, _store.Scalar("SELECT COUNT(*) FROM Subscription;"));
        Assert.Equal(0L, _store.Scalar("SELECT COUNT(*) FROM Journal;"));
    }

    [Fact]
    public async Task A_writer_that_committed_since_the_cached_version_is_detected_and_nothing_is_overwritten()
    {
        var outcome = new OutcomeLog();
        var provider = _store.CreateCachingProvider(outcome);
        var id = await provider.CreateNewWorkflow(NewInstance());
        var wf = (await provider.GetWorkflowInstance(id))!;
        await provider.PersistWorkflow(wf); // the committed graph (version 1) is cached now
        Assert.Equal(["committed"], outcome.Seen);

        // Another writer commits (e.g. a second process on the same file) while this one still holds version 1.
        _store.Scalar($"UPDATE Workflow SET RowVersion = RowVersion + 1, Reference = 'theirs' WHERE InstanceId = '{id.ToUpperInvariant()}' RETURNING 1;");
        wf.Reference = "ours";
        wf.ExecutionPointers.Add(new ExecutionPointer { Id = "lost", StepId = 1, Active = true });
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => provider.PersistWorkflow(wf));
        Assert.Equal(["committed", "rolled back: DbUpdateConcurrencyException"], outcome.Seen);
        Assert.Equal("theirs", _store.Scalar("SELECT Reference FROM Workflow;"));
        Assert.Equal(1L, _store.Scalar("SELECT COUNT(*) FROM ExecutionPointer;"));

        var fresh = (await provider.GetWorkflowInstance(id))!; // a fresh load succeeds
        Assert.Equal("theirs", fresh.Reference);
        await provider.PersistWorkflow(fresh);
        Assert.Equal(3L, _store.Scalar("SELECT RowVersion FROM Workflow;"));
    }

    /// <summary>Records whether each checkpoint committed or rolled back.</summary>
    private sealed class OutcomeLog : ICheckpointContributor
    {
        public List<string> Seen { get; } = new();

        public ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
        {
            checkpoint.AfterCommit(() => Seen.Add("committed"));
            return ValueTask.CompletedTask;
        }

        public ValueTask RolledBackAsync(WorkflowInstance instance, Exception error, CancellationToken cancellationToken)
        {
            Seen.Add("rolled back: " + error.GetType().Name);
            return ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Changed_nulled_added_and_removed_extension_attributes_reach_the_store(bool cacheCommittedGraphs)
    {
        var provider = cacheCommittedGraphs ? _store.CreateCachingProvider() : _store.CreateProvider();
        var wf = NewInstance();
        wf.ExecutionPointers.First().ExtensionAttributes["a"] = 1;
        wf.ExecutionPointers.First().ExtensionAttributes["b"] = 2;
        wf.ExecutionPointers.First().ExtensionAttributes["c"] = 5;
        var id = await provider.CreateNewWorkflow(wf);
        await provider.PersistWorkflow((await provider.GetWorkflowInstance(id))!); // the caching provider holds the graph now

        var read = (await provider.GetWorkflowInstance(id))!;
        var attributes = read.ExecutionPointers.First().ExtensionAttributes;
        attributes.Remove("a");
        attributes["b"] = 3;
        attributes["c"] = null!;
        attributes["d"] = "x";
        await provider.PersistWorkflow(read);
        read = (await provider.GetWorkflowInstance(id))!;
        read.ExecutionPointers.First().ExtensionAttributes["b"] = 4;
        await provider.PersistWorkflow(read);

        var expected = new Dictionary<string, object> { ["b"] = 4, ["c"] = null!, ["d"] = "x" };
        Assert.Equal(expected, (await provider.GetWorkflowInstance(id))!.ExecutionPointers.First().ExtensionAttributes);
        // What is stored, read by a provider that has never seen the instance.
        Assert.Equal(expected, (await _store.CreateProvider().GetWorkflowInstance(id))!.ExecutionPointers.First().ExtensionAttributes);
    }

    [Fact]
    public async Task Execution_errors_are_appended_in_utc()
    {
        var provider = _store.CreateProvider();
        var local = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Local);
        await provider.PersistErrors(new[] { new ExecutionError { WorkflowId = "wf", ExecutionPointerId = "p", ErrorTime = local, Message = "boom" } });
        await using var db = _store.Db();
        var row = await db.ExecutionErrors.SingleAsync();
        Assert.Equal("boom", row.Message);
        Assert.Equal(DateTimeKind.Utc, row.ErrorTime.Kind);
        Assert.Equal(local.ToUniversalTime(), row.ErrorTime);
    }

    [Fact]
    public async Task Our_tables_round_trip_with_utc_dates()
    {
        _store.CreateProvider();
        var started = new DateTime(2025, 3, 3, 3, 3, 3, DateTimeKind.Utc);
        await using (var db = _store.Db())
        {
            db.RunbookVersions.Add(new RunbookVersionRecord { RunbookId = "switchover", Version = 1, Name = "Switchover", Json = "{}", CreatedAt = started });
            db.Runs.Add(new RunRecord { RunId = "r1", WorkflowInstanceId = Guid.NewGuid().ToString(), RunbookId = "switchover", RunbookVersion = 1, StartedBy = "alice", StartedAt = started, InputsJson = "{}" });
            db.Journal.Add(new JournalEntryRecord { RunId = "r1", NodeId = "n1", PointerId = "p", Attempt = 1, Status = JournalStatus.Running, StartedAt = started });
            await db.SaveChangesAsync();
        }
        await using (var db = _store.Db())
        {
            var run = await db.Runs.SingleAsync();
            Assert.Equal(RunStatus.Running, run.Status);
            Assert.Equal(DateTimeKind.Utc, run.StartedAt.Kind);
            Assert.Equal(started, run.StartedAt);
            Assert.Equal(DateTimeKind.Utc, (await db.RunbookVersions.SingleAsync()).CreatedAt.Kind);
            Assert.True((await db.Journal.SingleAsync()).Id > 0);
            db.Runs.Add(new RunRecord { RunId = "r2", WorkflowInstanceId = run.WorkflowInstanceId, RunbookId = "x", StartedBy = "b", InputsJson = "{}" });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }
}

/// <summary>Contexts come from an EF pool; what a contributor leaves for after the commit must run once and not leak to the next checkpoint.</summary>
public sealed class PooledContextTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private sealed class AfterCommit(List<string> log) : ICheckpointContributor
    {
        public ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
        {
            var id = checkpoint.Instance.Id;
            checkpoint.AfterCommit(() => log.Add(id));
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task After_commit_actions_run_once_per_checkpoint_and_do_not_survive_the_pool()
    {
        var log = new List<string>();
        var provider = _store.CreateProvider(new AfterCommit(log));
        var a = await provider.CreateNewWorkflow(Samples.NewInstance());
        var b = await provider.CreateNewWorkflow(Samples.NewInstance());

        await provider.PersistWorkflow((await provider.GetWorkflowInstance(a))!);
        await provider.PersistWorkflow((await provider.GetWorkflowInstance(b))!);
        await provider.PersistErrors(new[] { new ExecutionError { WorkflowId = "x", ErrorTime = DateTime.UtcNow, Message = "m" } });

        Assert.Equal(new[] { a, b }, log);
    }
}
