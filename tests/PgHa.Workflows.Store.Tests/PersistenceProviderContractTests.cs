using WorkflowCore.Interface;
using WorkflowCore.Models;
using WorkflowCore.Services;
using static PgHa.Workflows.Store.Tests.Samples;

namespace PgHa.Workflows.Store.Tests;

/// <summary>
/// The IPersistenceProvider contract (B.1) as the engine relies on it. Parameterised by a provider factory so the
/// same suite runs on SQLite now, PostgreSQL later, and WorkflowCore's MemoryPersistenceProvider as a reference.
/// Known divergences of the memory reference are declared by the virtual flags, not hidden.
/// </summary>
public abstract class PersistenceProviderContractTests
{
    protected abstract IPersistenceProvider Provider { get; }

    /// <summary>The memory provider ignores Status in GetRunnableInstances.</summary>
    protected virtual bool FiltersRunnableByStatus => true;
    /// <summary>WorkflowCore's EF provider throws for a missing subscription; the memory one ignores it.</summary>
    protected virtual bool TerminateMissingThrows => true;
    protected virtual bool SupportsScheduledCommands => true;
    /// <summary>Finest time step the store keeps: 1 tick (100 ns) in memory and SQLite text, 1 µs in timestamptz.</summary>
    protected virtual long DateTimeResolutionTicks => 1;

    /// <summary><paramref name="value"/> as the store can keep it (truncated, as Npgsql does for times after 2000).</summary>
    private DateTime Stored(DateTime value) => new(value.Ticks - value.Ticks % DateTimeResolutionTicks, value.Kind);

    [Fact]
    public async Task CreateNewWorkflow_assigns_a_guid_id_and_the_instance_can_be_read_back()
    {
        var wf = NewInstance();
        var id = await Provider.CreateNewWorkflow(wf);

        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal(id, wf.Id);
        var read = await Provider.GetWorkflowInstance(id);
        Assert.NotNull(read);
        Assert.Equal("def-1", read.WorkflowDefinitionId);
        Assert.Equal(3, read.Version);
        Assert.Equal(new TestData("n", 1), read.Data);
        Assert.Single(read.ExecutionPointers);
    }

    [Fact]
    public async Task GetWorkflowInstance_returns_null_for_an_unknown_id()
    {
        Assert.Null(await Provider.GetWorkflowInstance(Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task PersistWorkflow_updates_fields_and_adds_new_pointers_keeping_old_ones()
    {
        var id = await Provider.CreateNewWorkflow(NewInstance());
        var wf = (await Provider.GetWorkflowInstance(id))!;
        var first = wf.ExecutionPointers.First();
        first.Status = PointerStatus.Complete;
        first.Active = false;
        first.EndTime = Utc(2025, 5, 5);
        wf.ExecutionPointers.Add(new ExecutionPointer { Id = "p2", StepId = 1, Active = true, Status = PointerStatus.Pending, PredecessorId = first.Id });
        wf.Data = new TestData("changed", 2);
        wf.NextExecution = 42;
        wf.Status = WorkflowStatus.Suspended;

        await Provider.PersistWorkflow(wf);

        var read = (await Provider.GetWorkflowInstance(id))!;
        Assert.Equal(new TestData("changed", 2), read.Data);
        Assert.Equal(42, read.NextExecution);
        Assert.Equal(WorkflowStatus.Suspended, read.Status);
        Assert.Equal(2, read.ExecutionPointers.Count);
        Assert.Equal(PointerStatus.Complete, read.ExecutionPointers.FindById(first.Id).Status);
        Assert.Equal(first.Id, read.ExecutionPointers.FindById("p2").PredecessorId);
        // Insertion order is preserved (it is WorkflowCore's execution order).
        Assert.Equal(new[] { first.Id, "p2" }, read.ExecutionPointers.Select(p => p.Id).ToArray());
    }

    [Fact]
    public async Task PersistWorkflow_with_subscriptions_saves_them_and_assigns_ids()
    {
        var id = await Provider.CreateNewWorkflow(NewInstance());
        var wf = (await Provider.GetWorkflowInstance(id))!;
        wf.ExecutionPointers.First().Status = PointerStatus.WaitingForEvent;
        var asOf = Utc(2025, 3, 1);
        var subs = new List<EventSubscription> { Subscription(id, "approve", "k1", asOf), Subscription(id, "approve", "k2", asOf) };

        await Provider.PersistWorkflow(wf, subs);

        Assert.All(subs, s => Assert.True(Guid.TryParse(s.Id, out _)));
        var found = (await Provider.GetSubscriptions("approve", "k1", asOf)).ToList();
        Assert.Single(found);
        Assert.Equal(subs[0].Id, found[0].Id);
        Assert.Equal(id, found[0].WorkflowId);
        Assert.Equal("sub-data", found[0].SubscriptionData);
        Assert.Equal(PointerStatus.WaitingForEvent, (await Provider.GetWorkflowInstance(id))!.ExecutionPointers.First().Status);
    }

    [Fact]
    public async Task GetRunnableInstances_returns_due_runnable_instances_by_utc_ticks()
    {
        var now = DateTime.UtcNow;
        var due = await Provider.CreateNewWorkflow(NewInstance(nextExecution: now.AddSeconds(-1).Ticks));
        var zero = await Provider.CreateNewWorkflow(NewInstance(nextExecution: 0));
        var future = await Provider.CreateNewWorkflow(NewInstance(nextExecution: now.AddMinutes(5).Ticks));
        var waiting = await Provider.CreateNewWorkflow(NewInstance(nextExecution: null));
        var suspended = await Provider.CreateNewWorkflow(NewInstance(status: WorkflowStatus.Suspended, nextExecution: 0));

        // A local-kind asAt (what DateTime.Now gives) must be compared in UTC ticks.
        var ids = (await Provider.GetRunnableInstances(now.ToLocalTime())).ToHashSet();

        Assert.Contains(due, ids);
        Assert.Contains(zero, ids);
        Assert.DoesNotContain(future, ids);
        Assert.DoesNotContain(waiting, ids);
        if (FiltersRunnableByStatus) Assert.DoesNotContain(suspended, ids);
    }

    [Fact]
    public async Task GetWorkflowInstances_by_ids_returns_exactly_those()
    {
        var a = await Provider.CreateNewWorkflow(NewInstance());
        var b = await Provider.CreateNewWorkflow(NewInstance());
        await Provider.CreateNewWorkflow(NewInstance());

        var read = (await Provider.GetWorkflowInstances(new[] { a, b, Guid.NewGuid().ToString() })).Select(w => w.Id).ToHashSet();

        Assert.Equal(new HashSet<string> { a, b }, read);
        Assert.Empty(await Provider.GetWorkflowInstances((IEnumerable<string>)null!));
    }

#pragma warning disable CS0612, CS0618 // the obsolete listing is still part of the interface
    [Fact]
    public async Task Obsolete_listing_filters_by_status_type_and_creation_time()
    {
        var type = "list-" + Guid.NewGuid().ToString("N");
        var early = NewInstance(); early.WorkflowDefinitionId = type; early.CreateTime = Utc(2024, 1, 1);
        var late = NewInstance(); late.WorkflowDefinitionId = type; late.CreateTime = Utc(2024, 6, 1);
        var done = NewInstance(status: WorkflowStatus.Complete); done.WorkflowDefinitionId = type; done.CreateTime = Utc(2024, 6, 1);
        await Provider.CreateNewWorkflow(early);
        var lateId = await Provider.CreateNewWorkflow(late);
        await Provider.CreateNewWorkflow(done);

        var found = (await Provider.GetWorkflowInstances(WorkflowStatus.Runnable, type, Utc(2024, 3, 1), Utc(2024, 12, 1), 0, 10)).ToList();

        Assert.Single(found);
        Assert.Equal(lateId, found[0].Id);
    }
#pragma warning restore CS0612, CS0618

    [Fact]
    public async Task Subscriptions_are_filtered_by_name_key_and_effective_date()
    {
        var t = Utc(2025, 4, 1, 12);
        var s1 = Subscription("wf", "evt", "key", t);
        var id1 = await Provider.CreateEventSubscription(s1);
        await Provider.CreateEventSubscription(Subscription("wf", "evt", "other", t));
        await Provider.CreateEventSubscription(Subscription("wf", "evt", "key", t.AddHours(1)));

        Assert.Equal(id1, s1.Id);
        var atT = (await Provider.GetSubscriptions("evt", "key", t)).Select(s => s.Id).ToList();
        Assert.Equal(new[] { id1 }, atT);
        Assert.Equal(2, (await Provider.GetSubscriptions("evt", "key", t.AddHours(2))).Count());
        Assert.Empty(await Provider.GetSubscriptions("evt", "key", t.AddSeconds(-1)));

        var one = await Provider.GetSubscription(id1);
        Assert.Equal("wf", one.WorkflowId);
        Assert.Equal(2, one.StepId);
        Assert.Equal(s1.ExecutionPointerId, one.ExecutionPointerId);
        Assert.Equal(t, one.SubscribeAsOf);
        Assert.Null(await Provider.GetSubscription(Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task TerminateSubscription_deletes_it()
    {
        var id = await Provider.CreateEventSubscription(Subscription("wf", "term", "k", Utc(2025, 1, 1)));
        await Provider.TerminateSubscription(id);
        Assert.Null(await Provider.GetSubscription(id));
        Assert.Empty(await Provider.GetSubscriptions("term", "k", Utc(2030, 1, 1)));

        if (TerminateMissingThrows)
            await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Provider.TerminateSubscription(id));
        else
            await Provider.TerminateSubscription(id);
    }

    [Fact]
    public async Task Subscription_tokens_claim_and_release_for_activity_workers()
    {
        var asOf = Utc(2025, 1, 1);
        var name = "act-" + Guid.NewGuid().ToString("N");
        var first = await Provider.CreateEventSubscription(Subscription("wf", name, "k", asOf));
        var second = await Provider.CreateEventSubscription(Subscription("wf", name, "k", asOf));

        Assert.Equal(first, (await Provider.GetFirstOpenSubscription(name, "k", asOf.AddMinutes(1))).Id);
        var expiry = Utc(2025, 1, 2);
        Assert.True(await Provider.SetSubscriptionToken(first, "tok", "worker-1", expiry));
        var claimed = await Provider.GetSubscription(first);
        Assert.Equal("tok", claimed.ExternalToken);
        Assert.Equal("worker-1", claimed.ExternalWorkerId);
        Assert.Equal(expiry, claimed.ExternalTokenExpiry);
        Assert.Equal(second, (await Provider.GetFirstOpenSubscription(name, "k", asOf.AddMinutes(1))).Id);
        Assert.False(await Provider.SetSubscriptionToken(Guid.NewGuid().ToString(), "t", "w", expiry));

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Provider.ClearSubscriptionToken(first, "wrong"));
        await Provider.ClearSubscriptionToken(first, "tok");
        var released = await Provider.GetSubscription(first);
        Assert.Null(released.ExternalToken);
        Assert.Null(released.ExternalWorkerId);
        Assert.Null(released.ExternalTokenExpiry);
        Assert.Equal(first, (await Provider.GetFirstOpenSubscription(name, "k", asOf.AddMinutes(1))).Id);
        Assert.Null(await Provider.GetFirstOpenSubscription(name, "k", asOf.AddMinutes(-1)));
    }

    [Fact]
    public async Task Events_round_trip_and_runnable_events_are_unprocessed_and_due()
    {
        var name = "evt-" + Guid.NewGuid().ToString("N");
        var now = DateTime.UtcNow;
        var e = Event(name, "k", now.AddSeconds(-5), "data-1");
        var dueId = await Provider.CreateEvent(e);
        var futureId = await Provider.CreateEvent(Event(name, "k", now.AddMinutes(5)));

        Assert.Equal(dueId, e.Id);
        var read = await Provider.GetEvent(dueId);
        Assert.Equal(name, read.EventName);
        Assert.Equal("k", read.EventKey);
        Assert.Equal("data-1", read.EventData);
        Assert.Equal(Stored(e.EventTime), read.EventTime);
        Assert.False(read.IsProcessed);
        Assert.Null(await Provider.GetEvent(Guid.NewGuid().ToString()));

        var runnable = (await Provider.GetRunnableEvents(now)).ToHashSet();
        Assert.Contains(dueId, runnable);
        Assert.DoesNotContain(futureId, runnable);

        await Provider.MarkEventProcessed(dueId);
        Assert.True((await Provider.GetEvent(dueId)).IsProcessed);
        Assert.DoesNotContain(dueId, await Provider.GetRunnableEvents(now));

        await Provider.MarkEventUnprocessed(dueId);
        Assert.False((await Provider.GetEvent(dueId)).IsProcessed);
        Assert.Contains(dueId, await Provider.GetRunnableEvents(now));

        // Missing ids are a no-op.
        await Provider.MarkEventProcessed(Guid.NewGuid().ToString());
        await Provider.MarkEventUnprocessed(Guid.NewGuid().ToString());
    }

    [Fact]
    public async Task GetEvents_returns_processed_and_unprocessed_events_at_or_after_asOf()
    {
        var name = "evts-" + Guid.NewGuid().ToString("N");
        var t = Utc(2025, 6, 1, 10);
        var before = await Provider.CreateEvent(Event(name, "k", t.AddSeconds(-1)));
        var at = await Provider.CreateEvent(Event(name, "k", t));
        var after = await Provider.CreateEvent(Event(name, "k", t.AddHours(1)));
        await Provider.CreateEvent(Event(name, "other", t.AddHours(1)));
        await Provider.MarkEventProcessed(after);

        var ids = (await Provider.GetEvents(name, "k", t)).ToHashSet();

        Assert.Equal(new HashSet<string> { at, after }, ids);
        Assert.DoesNotContain(before, ids);
    }

    [Fact]
    public async Task Scheduled_commands_swallow_duplicates_run_due_ones_delete_on_success_and_keep_failures()
    {
        Assert.Equal(SupportsScheduledCommands, Provider.SupportsScheduledCommands);
        if (!SupportsScheduledCommands) return;

        var now = DateTimeOffset.UtcNow;
        var okData = Guid.NewGuid().ToString();
        var failData = Guid.NewGuid().ToString();
        var futureData = Guid.NewGuid().ToString();
        await Provider.ScheduleCommand(new ScheduledCommand { CommandName = ScheduledCommand.ProcessWorkflow, Data = okData, ExecuteTime = now.AddSeconds(-2).UtcTicks });
        await Provider.ScheduleCommand(new ScheduledCommand { CommandName = ScheduledCommand.ProcessWorkflow, Data = okData, ExecuteTime = now.AddSeconds(-1).UtcTicks });
        await Provider.ScheduleCommand(new ScheduledCommand { CommandName = ScheduledCommand.ProcessEvent, Data = failData, ExecuteTime = now.AddSeconds(-1).UtcTicks });
        await Provider.ScheduleCommand(new ScheduledCommand { CommandName = ScheduledCommand.ProcessWorkflow, Data = futureData, ExecuteTime = now.AddMinutes(5).UtcTicks });

        var seen = new List<string>();
        await Provider.ProcessCommands(now, cmd =>
        {
            seen.Add(cmd.Data);
            return cmd.Data == failData ? throw new InvalidOperationException("boom") : Task.CompletedTask;
        });

        // The duplicate was dropped (one run of okData), the future one not run.
        Assert.Equal(1, seen.Count(d => d == okData));
        Assert.Contains(failData, seen);
        Assert.DoesNotContain(futureData, seen);

        var second = new List<string>();
        await Provider.ProcessCommands(now.AddMinutes(10), cmd => { second.Add(cmd.Data); return Task.CompletedTask; });
        Assert.DoesNotContain(okData, second);   // deleted after success
        Assert.Contains(failData, second);       // kept after failure
        Assert.Contains(futureData, second);     // now due

        var third = new List<string>();
        await Provider.ProcessCommands(now.AddMinutes(10), cmd => { third.Add(cmd.Data); return Task.CompletedTask; });
        Assert.DoesNotContain(failData, third);
        Assert.DoesNotContain(futureData, third);
    }

    [Fact]
    public async Task PersistErrors_accepts_errors_and_an_empty_batch()
    {
        await Provider.PersistErrors(Array.Empty<ExecutionError>());
        await Provider.PersistErrors(new[] { new ExecutionError { WorkflowId = "wf", ExecutionPointerId = "p", ErrorTime = DateTime.UtcNow, Message = "boom" } });
        Provider.EnsureStoreExists(); // idempotent
    }

    [Fact]
    public async Task Full_instance_round_trips_every_pointer_field_attribute_child_scope_and_utc_date()
    {
        var wf = NewInstance(new TestData("full", 7), nextExecution: 1234);
        wf.CompleteTime = Utc(2025, 2, 3, 4, 5, 6, 7);
        var parent = wf.ExecutionPointers.First();
        parent.Children = new List<string> { "c1", "c2" };
        parent.PersistenceData = new ControlPersistenceData { ChildrenActive = true };
        parent.Status = PointerStatus.Running;
        parent.StartTime = Utc(2025, 2, 3, 1);
        var child = new ExecutionPointer
        {
            Id = "c1",
            StepId = 5,
            Active = false,
            SleepUntil = Utc(2025, 2, 4, 1, 2, 3),
            PersistenceData = new IteratorPersistenceData { ChildrenActive = true, Index = 3 },
            StartTime = Utc(2025, 2, 3, 2),
            EndTime = Utc(2025, 2, 3, 3),
            EventName = "approval",
            EventKey = "run:c1",
            EventPublished = true,
            EventData = "approved",
            StepName = "Approve",
            RetryCount = 2,
            ContextItem = 17L,
            PredecessorId = parent.Id,
            Outcome = "ok",
            Status = PointerStatus.WaitingForEvent,
            Scope = new List<string> { parent.Id, "outer" },
        };
        child.ExtensionAttributes["Prompt"] = "Go?";
        child.ExtensionAttributes["Count"] = 3;
        child.ExtensionAttributes["Data"] = new TestData("attr", 9);
        wf.ExecutionPointers.Add(child);
        wf.ExecutionPointers.Add(new ExecutionPointer { Id = "c2", StepId = 6, Status = PointerStatus.Sleeping, PersistenceData = new SchedulePersistenceData { Elapsed = true }, Outcome = true, Scope = new List<string> { parent.Id } });

        var id = await Provider.CreateNewWorkflow(wf);
        var read = (await Provider.GetWorkflowInstance(id))!;

        Assert.Equal(wf.Description, read.Description);
        Assert.Equal(wf.Reference, read.Reference);
        Assert.Equal(1234, read.NextExecution);
        Assert.Equal(wf.CreateTime, read.CreateTime);
        Assert.Equal(DateTimeKind.Utc, read.CreateTime.Kind);
        Assert.Equal(wf.CompleteTime, read.CompleteTime);
        Assert.Equal(DateTimeKind.Utc, read.CompleteTime!.Value.Kind);
        Assert.Equal(new TestData("full", 7), read.Data);

        var p = read.ExecutionPointers.FindById(parent.Id);
        Assert.Equal(new[] { "c1", "c2" }, p.Children);
        Assert.IsType<ControlPersistenceData>(p.PersistenceData);
        Assert.True(((ControlPersistenceData)p.PersistenceData).ChildrenActive);

        var c = read.ExecutionPointers.FindById("c1");
        Assert.Equal(5, c.StepId);
        Assert.False(c.Active);
        Assert.Equal(child.SleepUntil, c.SleepUntil);
        Assert.Equal(DateTimeKind.Utc, c.SleepUntil!.Value.Kind);
        var it = Assert.IsType<IteratorPersistenceData>(c.PersistenceData);
        Assert.Equal(3, it.Index);
        Assert.Equal(child.StartTime, c.StartTime);
        Assert.Equal(DateTimeKind.Utc, c.StartTime!.Value.Kind);
        Assert.Equal(child.EndTime, c.EndTime);
        Assert.Equal("approval", c.EventName);
        Assert.Equal("run:c1", c.EventKey);
        Assert.True(c.EventPublished);
        Assert.Equal("approved", c.EventData);
        Assert.Equal("Approve", c.StepName);
        Assert.Equal(2, c.RetryCount);
        Assert.Equal(17L, c.ContextItem);
        Assert.Equal(parent.Id, c.PredecessorId);
        Assert.Equal("ok", c.Outcome);
        Assert.Equal(PointerStatus.WaitingForEvent, c.Status);
        Assert.Equal(new[] { parent.Id, "outer" }, c.Scope);
        Assert.Equal("Go?", c.ExtensionAttributes["Prompt"]);
        Assert.Equal(3, c.ExtensionAttributes["Count"]);
        Assert.Equal(new TestData("attr", 9), c.ExtensionAttributes["Data"]);
        Assert.Empty(c.Children);

        var c2 = read.ExecutionPointers.FindById("c2");
        Assert.True(Assert.IsType<SchedulePersistenceData>(c2.PersistenceData).Elapsed);
        Assert.Equal(true, c2.Outcome);
        Assert.Equal(2, read.ExecutionPointers.FindByScope(parent.Id).Count);
        Assert.Equal(new[] { parent.Id, "c1", "c2" }, read.ExecutionPointers.Select(x => x.Id).ToArray());
    }
}

/// <summary>The contract on a SQLite store file, with or without the committed-graph cache the engine uses.</summary>
public abstract class SqliteContractTests : PersistenceProviderContractTests, IDisposable
{
    private readonly TempStore _store = new();
    private readonly EfCorePersistenceProvider _provider;

    protected SqliteContractTests(bool cacheCommittedGraphs) =>
        _provider = cacheCommittedGraphs ? _store.CreateCachingProvider() : _store.CreateProvider();

    protected override IPersistenceProvider Provider => _provider;

    public void Dispose() => _store.Dispose();
}

public sealed class SqlitePersistenceProviderContractTests() : SqliteContractTests(cacheCommittedGraphs: false);

/// <summary>Checkpoints and reads start from the cached graph here.</summary>
public sealed class SqliteCachingPersistenceProviderContractTests() : SqliteContractTests(cacheCommittedGraphs: true);

/// <summary>WorkflowCore's own in-memory provider, as a sanity reference for the contract's semantics.</summary>
public sealed class MemoryPersistenceProviderContractTests : PersistenceProviderContractTests
{
    private readonly MemoryPersistenceProvider _provider = new();

    protected override IPersistenceProvider Provider => _provider;
    protected override bool FiltersRunnableByStatus => false;
    protected override bool TerminateMissingThrows => false;
    protected override bool SupportsScheduledCommands => false;
}
