using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Interface;
using WorkflowCore.Models;
using static PgHa.Workflows.Store.Tests.Samples;

namespace PgHa.Workflows.Store.Tests;

/// <summary>The same provider contract as SQLite, on a fresh PostgreSQL database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPersistenceProviderContractTests : PersistenceProviderContractTests
{
    private readonly EfCorePersistenceProvider _provider;

    public PostgresPersistenceProviderContractTests(PostgresServer server)
    {
        var factory = new PostgresPgHaDbContextFactory(server.CreateDatabase("contract"));
        _provider = new EfCorePersistenceProvider(factory, new AllowListSerializer().Register<TestData>("test.data"), []);
        _provider.EnsureStoreExists();
    }

    protected override IPersistenceProvider Provider => _provider;
    protected override long DateTimeResolutionTicks => 10;
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server)
{
    private static EfCorePersistenceProvider Provider(string cs, params ICheckpointContributor[] contributors) =>
        new(new PostgresPgHaDbContextFactory(cs), new AllowListSerializer().Register<TestData>("test.data"), contributors);

    private static int MigrationCount(PgHaDbContext db) => db.Database.GetMigrations().Count();

    [Fact]
    public void Migration_applies_on_an_empty_database_in_schema_pgha_with_timestamptz_and_is_idempotent()
    {
        var cs = server.CreateDatabase("migrate");
        var provider = Provider(cs);

        provider.EnsureStoreExists();
        provider.EnsureStoreExists();

        var tables = new[] { "Workflow", "ExecutionPointer", "ExtensionAttribute", "Subscription", "Event", "ExecutionError",
            "ScheduledCommand", "RunbookVersions", "Runs", "Journal", "Approvals", "Clusters", "__EFMigrationsHistory" };
        foreach (var table in tables)
            Assert.Equal(1L, PostgresServer.Scalar(cs, $"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'pgha' AND table_name = '{table}'"));
        Assert.Equal(0L, PostgresServer.Scalar(cs, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
        Assert.Equal("timestamp with time zone", PostgresServer.Scalar(cs,
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'pgha' AND table_name = 'Workflow' AND column_name = 'CreateTime'"));

        using var db = new PostgresPgHaDbContextFactory(cs).CreateDbContext();
        Assert.True(MigrationCount(db) > 0);
        Assert.Equal((long)MigrationCount(db), PostgresServer.Scalar(cs, "SELECT count(*) FROM pgha.\"__EFMigrationsHistory\""));
        Assert.Empty(db.Database.GetPendingMigrations());
        // The model and the migrations agree (a forgotten `migrations add` shows up here).
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task Several_nodes_migrating_one_empty_database_at_once_all_succeed()
    {
        var cs = server.CreateDatabase("race");
        var providers = Enumerable.Range(0, 6).Select(_ => Provider(cs)).ToList();
        using var start = new Barrier(providers.Count);

        await Task.WhenAll(providers.Select(p => Task.Run(() => { start.SignalAndWait(); p.EnsureStoreExists(); })));

        using var db = new PostgresPgHaDbContextFactory(cs).CreateDbContext();
        Assert.Equal((long)MigrationCount(db), PostgresServer.Scalar(cs, "SELECT count(*) FROM pgha.\"__EFMigrationsHistory\""));
        var id = await providers[3].CreateNewWorkflow(NewInstance());
        Assert.NotNull(await providers[0].GetWorkflowInstance(id));
    }

    [Fact]
    public async Task Migration_waits_for_the_migration_lock_held_by_another_node()
    {
        var cs = server.CreateDatabase("wait");
        using var other = new NpgsqlConnection(cs);
        other.Open();
        using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresStore.MigrationLockClass}, {PostgresStore.MigrationLockObject})", other))
            take.ExecuteNonQuery();

        var migrating = Task.Run(() => Provider(cs).EnsureStoreExists());
        // Deterministic, not timed: the server shows the migrator queued on exactly that advisory lock.
        await Eventually(() => Task.FromResult(Convert.ToInt64(PostgresServer.Scalar(cs,
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = {PostgresStore.MigrationLockClass} AND objid = {PostgresStore.MigrationLockObject} AND objsubid = 2")) == 1),
            TimeSpan.FromSeconds(30), "migrator waiting on the migration lock");
        Assert.False(migrating.IsCompleted);
        Assert.Equal(0L, PostgresServer.Scalar(cs, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'pgha'"));

        using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresStore.MigrationLockClass}, {PostgresStore.MigrationLockObject})", other))
            release.ExecuteNonQuery();
        await migrating;
        Assert.Equal(1L, PostgresServer.Scalar(cs, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'pgha' AND table_name = 'Workflow'"));
    }

    [Fact]
    public async Task Row_version_rejects_a_writer_that_committed_between_load_and_save()
    {
        var cs = server.CreateDatabase("rowver");
        var provider = Provider(cs);
        provider.EnsureStoreExists();
        var id = await provider.CreateNewWorkflow(NewInstance());
        var wf = (await provider.GetWorkflowInstance(id))!;

        var interloper = new Interleaving(() => PostgresServer.Scalar(cs, $"UPDATE pgha.\"Workflow\" SET \"RowVersion\" = \"RowVersion\" + 1 WHERE \"InstanceId\" = '{id}'"));
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => Provider(cs, interloper).PersistWorkflow(wf));

        await provider.PersistWorkflow(wf);
        Assert.Equal(2L, PostgresServer.Scalar(cs, "SELECT \"RowVersion\" FROM pgha.\"Workflow\""));
    }

    private sealed class Interleaving(Action action) : ICheckpointContributor
    {
        public ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
        {
            action();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task ScheduleCommand_swallows_only_duplicates_other_failures_propagate()
    {
        var cs = server.CreateDatabase("sched");
        var provider = Provider(cs);
        provider.EnsureStoreExists();
        var command = new ScheduledCommand { CommandName = ScheduledCommand.ProcessWorkflow, Data = "wf-1", ExecuteTime = 1 };

        await provider.ScheduleCommand(command);
        await provider.ScheduleCommand(command);
        Assert.Equal(1L, PostgresServer.Scalar(cs, "SELECT count(*) FROM pgha.\"ScheduledCommand\""));

        // Data is varchar(500) here: PostgreSQL refuses a longer value (22001), which is not a duplicate.
        var tooLong = new ScheduledCommand { CommandName = ScheduledCommand.ProcessWorkflow, Data = new string('x', 501), ExecuteTime = 1 };
        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => provider.ScheduleCommand(tooLong));
        Assert.Equal(PostgresErrorCodes.StringDataRightTruncation, Assert.IsType<PostgresException>(ex.InnerException).SqlState);
    }

    [Fact]
    public async Task Our_tables_round_trip_with_utc_dates_and_identity_keys()
    {
        var cs = server.CreateDatabase("ours");
        Provider(cs).EnsureStoreExists();
        var factory = new PostgresPgHaDbContextFactory(cs);
        var started = new DateTime(2025, 3, 3, 3, 3, 3, DateTimeKind.Utc);
        var local = new DateTime(2025, 3, 3, 5, 0, 0, DateTimeKind.Local);
        await using (var db = factory.CreateDbContext())
        {
            db.Runs.Add(new RunRecord { RunId = "r1", WorkflowInstanceId = Guid.NewGuid().ToString(), RunbookId = "switchover", RunbookVersion = 1, StartedBy = "alice", StartedAt = started, EndedAt = local, InputsJson = "{}" });
            db.Journal.Add(new JournalEntryRecord { RunId = "r1", NodeId = "n1", PointerId = "p", Attempt = 1, Status = JournalStatus.Running, StartedAt = started });
            db.Journal.Add(new JournalEntryRecord { RunId = "r1", NodeId = "n2", PointerId = "q", Attempt = 1, Status = JournalStatus.Running, StartedAt = started });
            await db.SaveChangesAsync();
        }
        await using (var db = factory.CreateDbContext())
        {
            var run = await db.Runs.SingleAsync();
            Assert.Equal(started, run.StartedAt);
            Assert.Equal(DateTimeKind.Utc, run.StartedAt.Kind);
            Assert.Equal(local.ToUniversalTime(), run.EndedAt);
            var ids = await db.Journal.OrderBy(j => j.Id).Select(j => j.Id).ToListAsync();
            Assert.Equal(2, ids.Count);
            Assert.True(ids[0] > 0 && ids[1] > ids[0]);
            db.Runs.Add(new RunRecord { RunId = "r2", WorkflowInstanceId = run.WorkflowInstanceId, RunbookId = "x", StartedBy = "b", InputsJson = "{}" });
            var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.True(StoreErrors.IsUniqueViolation(ex));
        }
    }

    [Fact]
    public async Task SQLite_and_PostgreSQL_providers_work_side_by_side_in_one_process()
    {
        // Compiled queries are bound to one model; each store has its own.
        using var sqlite = new TempStore();
        var onSqlite = sqlite.CreateProvider();
        var onPostgres = Provider(server.CreateDatabase("both"));
        onPostgres.EnsureStoreExists();

        var a = await onSqlite.CreateNewWorkflow(NewInstance());
        var b = await onPostgres.CreateNewWorkflow(NewInstance());
        var c = await onSqlite.CreateNewWorkflow(NewInstance());

        Assert.Equal(a, (await onSqlite.GetWorkflowInstance(a))!.Id);
        Assert.Equal(b, (await onPostgres.GetWorkflowInstance(b))!.Id);
        Assert.Equal(c, (await onSqlite.GetWorkflowInstance(c))!.Id);
        Assert.Null(await onPostgres.GetWorkflowInstance(a));
    }

    [Fact]
    public void A_wrong_password_fails_start_up_without_showing_any_password()
    {
        var cs = server.CreateDatabase("secret");
        var wrong = new NpgsqlConnectionStringBuilder(cs) { Password = "wrong-" + Guid.NewGuid().ToString("N") };
        var provider = Provider(wrong.ConnectionString);

        var ex = Assert.ThrowsAny<Exception>(() => provider.EnsureStoreExists());

        Assert.Contains("28P01", ex.ToString()); // invalid_password: it failed for the reason we think
        Assert.DoesNotContain(wrong.Password, ex.ToString());
        Assert.DoesNotContain(server.Password, ex.ToString());
        Assert.DoesNotContain(server.Password, new StoreLocation.Postgres(cs).ToString());
        Assert.Contains("Database = secret_", new StoreLocation.Postgres(cs).ToString());
    }
}
