using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Compilation;
using PgHa.Workflows.Model;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using PgHa.Workflows.Validation;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// The one entry point of the engine for the API and CLI: runbooks, runs, approvals, cancellation and live events.
/// Nothing outside the engine names WorkflowCore.
/// </summary>
public sealed class RunbookRuntime(
    RunbookLibrary library,
    IDbContextFactory<PgHaDbContext> contexts,
    EfCorePersistenceProvider store,
    AllowListSerializer serializer,
    IWorkflowHost host,
    RunEvents events,
    RunCancellations cancellations,
    RunTerminator terminator,
    RunJournal journal,
    IEnumerable<IClusterSnapshots> clusters,
    PgHa.Workflows.Clusters.ClusterFitCheck clusterFit,
    RuntimeOptions options,
    ILogger<RunbookRuntime> logger) : IHostedService
{
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private CancellationTokenSource? _sweeper;
    private Task? _sweeperTask;

    public RunbookLibrary Runbooks => library;

    /// <summary>
    /// Worker threads the pool starts at once, without its pause of ~0.5 s per thread once all are busy. SSH.NET and
    /// WorkflowCore block their calling thread in places (key exchange, channel requests, lock and queue waits); on a
    /// 2-core machine the pool starts with 2 workers, and the failover benchmark saw the whole process stall 0.6–1.5 s
    /// in most switchovers until the pool had grown (gone with a minimum of 40).
    /// </summary>
    public const int MinimumWorkerThreads = 32;

    private static void EnsureThreadPoolMinimum()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < MinimumWorkerThreads) ThreadPool.SetMinThreads(MinimumWorkerThreads, io);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureThreadPoolMinimum();
        serializer.Register<RunData>("pgha.run");
        serializer.Register<StepState>("pgha.step");
        serializer.Register<ApprovalDecisionEvent>("pgha.approval-decision");
        store.EnsureStoreExists();

        foreach (var folder in options.RunbookFolders)
            await library.SeedFromFolderAsync(folder, cancellationToken);
        var broken = await library.RegisterStoredAsync(cancellationToken);
        await FailRunsOfBrokenVersionsAsync(broken, cancellationToken);
        await RestoreCancellationsAsync(cancellationToken);
        await RepairRunsCutOffAtStartAsync(cancellationToken);
        await journal.MarkInterruptedAttemptsAsync(cancellationToken);

        await host.StartAsync(cancellationToken);
        _sweeper = new CancellationTokenSource();
        _sweeperTask = Task.Run(() => HousekeepingAsync(_sweeper.Token), CancellationToken.None);
        logger.LogInformation("Runbook runtime started");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_sweeper is not null)
        {
            await _sweeper.CancelAsync();
            try { await _sweeperTask!; } catch (OperationCanceledException) { }
        }
        await host.StopAsync(cancellationToken);
    }

    public async Task<RunView> StartRunAsync(StartRunRequest request, CancellationToken cancellationToken = default)
    {
        var runbook = await RunnableVersionAsync(request, cancellationToken);
        var inputs = RunInputs.Check(runbook.Definition, request.Inputs);
        if (request.DryRun) DryRunCheck.Check(runbook);

        JsonElement? cluster = null;
        if (request.ClusterId is { } clusterId)
        {
            foreach (var source in clusters)
                if ((cluster = await source.TakeAsync(clusterId, cancellationToken)) is not null) break;
            if (cluster is null)
                throw new NotFoundException("cluster", clusterId, "import it first (POST /api/clusters or 'pgha clusters import')");
            clusterFit.Check(runbook, cluster.Value.Deserialize<PgHa.Clusters.ClusterInventory>(PgHa.Clusters.ClusterInventory.JsonOptions)!);
        }

        var runId = "run-" + Guid.NewGuid().ToString("N")[..12];
        var data = new RunData
        {
            RunId = runId, RunbookId = runbook.Definition.Id, RunbookVersion = runbook.Definition.Version,
            ClusterId = request.ClusterId, DryRun = request.DryRun, Inputs = inputs, StartedBy = request.StartedBy, Cluster = cluster,
        };

        // One mutating run per cluster: a second concurrent failover on the same hosts is never what anyone wants.
        await _startGate.WaitAsync(cancellationToken);
        try
        {
            var holdsCluster = request.ClusterId is not null && !request.DryRun;
            if (holdsCluster) await RefuseIfClusterBusyAsync(request.ClusterId!, cancellationToken);
            // The run row comes first, so a checkpoint never races with it; the instance id is linked right after.
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                db.Runs.Add(RunStatusContributor.NewRunRecord(data, DateTime.UtcNow));
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException e) when (holdsCluster && StoreErrors.IsUniqueViolation(e))
            {
                // Another server sharing the store started one between our check and our insert (its unique index refused ours).
                await RefuseIfClusterBusyAsync(request.ClusterId!, cancellationToken);
                throw new ConflictException($"cluster '{request.ClusterId}' was busy with a run that has just ended; start again");
            }
            var instanceId = await host.StartWorkflow(runbook.Definition.Id, runbook.Definition.Version, data, runId);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
                await db.Runs.Where(r => r.RunId == runId && r.WorkflowInstanceId != instanceId)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.WorkflowInstanceId, instanceId), cancellationToken);
        }
        finally
        {
            _startGate.Release();
        }

        logger.LogInformation("Run {RunId} of {RunbookId} v{Version} started by {StartedBy} (dry run: {DryRun})",
            runId, data.RunbookId, data.RunbookVersion, data.StartedBy, data.DryRun);
        events.Publish(runId, RunEventKinds.RunStarted, status: RunStatus.Running, message: $"{data.RunbookId} v{data.RunbookVersion}");
        return (await GetRunAsync(runId, cancellationToken))!;
    }

    private async Task RefuseIfClusterBusyAsync(string clusterId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var busy = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r =>
            r.ClusterId == clusterId && !r.DryRun && r.Status == RunStatus.Running, cancellationToken);
        if (busy is not null)
            throw new ConflictException($"cluster '{clusterId}' is busy with run {busy.RunId} ({busy.RunbookId}, started by {busy.StartedBy}); wait for it to end or cancel it");
    }

    // Plain starts run the newest published version; a draft runs only when named by a caller allowed to run drafts.
    private async Task<CompiledRunbook> RunnableVersionAsync(StartRunRequest request, CancellationToken cancellationToken)
    {
        const string hint = "list runbooks with GET /api/runbooks or 'pgha runbooks list'";
        if (request.Version is not { } version)
            return await library.GetPublishedAsync(request.RunbookId, cancellationToken)
                   ?? (await library.GetAsync(request.RunbookId, null, cancellationToken) is { } draft
                       ? throw new ConflictException($"runbook '{request.RunbookId}' has no published version yet; a second person reviews and publishes v{draft.Definition.Version} (POST /api/runbooks/{request.RunbookId}/versions/{draft.Definition.Version}/publish)")
                       : throw new NotFoundException("runbook", request.RunbookId, hint));
        var named = await library.GetAsync(request.RunbookId, version, cancellationToken)
                    ?? throw new NotFoundException("runbook", $"{request.RunbookId} v{version}", hint);
        if (!request.MayRunDrafts && !await library.IsPublishedAsync(request.RunbookId, version, cancellationToken))
            throw new ForbiddenException($"{request.RunbookId} v{version} is a draft nobody has published; publish it first (a second person, role approver) or use a key allowed to run drafts");
        return named;
    }

    public async Task<RunView?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One snapshot for run, journal and approvals: a checkpoint committing between the reads would otherwise
        // show an approval as open while its node still looks Running.
        await using var snapshot = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.RunId == runId, cancellationToken);
        if (run is null) return null;
        var journal = await db.Journal.AsNoTracking().Where(j => j.RunId == runId).OrderBy(j => j.Id).ToListAsync(cancellationToken);
        var approvals = await db.Approvals.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        var runbook = await library.GetAsync(run.RunbookId, run.RunbookVersion, cancellationToken);

        return new RunView
        {
            Run = Summarize(run, approvals.Any(a => a.Decision is null)),
            Inputs = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(run.InputsJson) ?? [],
            Nodes = NodeStates(runbook?.Definition, journal),
            Journal = journal.Select(ToView).ToList(),
            Approvals = approvals.Select(a => ToView(a, run.StartedBy)).ToList(),
        };
    }

    public async Task<IReadOnlyList<RunSummary>> ListRunsAsync(RunFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Runs.AsNoTracking();
        if (filter.Status is not null) query = query.Where(r => r.Status == filter.Status);
        if (filter.RunbookId is not null) query = query.Where(r => r.RunbookId == filter.RunbookId);
        if (filter.ClusterId is not null) query = query.Where(r => r.ClusterId == filter.ClusterId);
        var runs = await query.OrderByDescending(r => r.StartedAt).Take(Math.Clamp(filter.Limit, 1, 1000)).ToListAsync(cancellationToken);
        var ids = runs.Select(r => r.RunId).ToList();
        var waiting = (await db.Approvals.AsNoTracking().Where(a => ids.Contains(a.RunId) && a.Decision == null)
            .Select(a => a.RunId).ToListAsync(cancellationToken)).ToHashSet();
        return runs.Select(r => Summarize(r, waiting.Contains(r.RunId))).ToList();
    }

    public async Task<IReadOnlyList<ApprovalView>> ListOpenApprovalsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var open = await (from a in db.Approvals.AsNoTracking()
                          join r in db.Runs.AsNoTracking() on a.RunId equals r.RunId
                          where a.Decision == null
                          orderby a.RequestedAt
                          select new { a, r.StartedBy }).ToListAsync(cancellationToken);
        return open.Select(x => ToView(x.a, x.StartedBy)).ToList();
    }

    /// <summary>
    /// Records a decision on the open approval of a node and resumes the run. Only the first decision counts. The
    /// rules (the decider holds the approval's role; with <see cref="RuntimeOptions.ApproverMustDifferFromStarter"/>,
    /// he is not the run's starter) are part of the guarded UPDATE that records the decision, so no decision can
    /// slip past them while the approval is being created or decided by someone else.
    /// </summary>
    public async Task<ApprovalView> DecideAsync(string runId, string nodeId, ApprovalChoice choice, Decider decider, string? comment,
        CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.RunId == runId, cancellationToken)
                  ?? throw new NotFoundException("run", runId, "list runs with GET /api/runs");
        var approval = await db.Approvals.Where(a => a.RunId == runId && a.NodeId == nodeId)
                           .OrderByDescending(a => a.Id).FirstOrDefaultAsync(cancellationToken)
                       ?? throw new NotFoundException("approval for node", nodeId, $"run {runId} has not asked for an approval at that node (yet); decide it once GET /api/approvals lists it");
        CheckDecider(approval, run.StartedBy, decider);
        var decision = choice == ApprovalChoice.Approve ? ActivityOutcomes.Approved : ActivityOutcomes.Rejected;
        await RecordDecisionAsync(db, approval, decision, decider, comment, cancellationToken);
        return ToView(approval, run.StartedBy);
    }

    private void CheckDecider(ApprovalRecord approval, string startedBy, Decider decider)
    {
        if (!decider.Roles.Contains(approval.AllowedRole))
            throw new ForbiddenException($"the approval at node '{approval.NodeId}' must be decided by role {approval.AllowedRole}; '{decider.Principal}' has {string.Join(", ", decider.Roles)}");
        if (options.ApproverMustDifferFromStarter && Principals.Same(startedBy, decider.Principal))
            throw new ForbiddenException($"'{decider.Principal}' started run {approval.RunId} and may not approve it: a second person must decide (PgHa:Auth:ApproverMustDifferFromStarter)");
    }

    public async Task<RunSummary> CancelRunAsync(string runId, string cancelledBy, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.RunId == runId, cancellationToken)
                  ?? throw new NotFoundException("run", runId, "list runs with GET /api/runs");
        if (RunStatus.IsFinished(run.Status))
            throw new ConflictException($"run {runId} already ended ({run.Status}); there is nothing to cancel");
        run.CancelRequested = true;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Run {RunId} cancelled by {CancelledBy}", runId, cancelledBy);
        cancellations.Cancel(runId);
        terminator.Request(run.WorkflowInstanceId);
        return Summarize(run, false);
    }

    public RunSubscription Watch(string? runId) => events.Subscribe(runId);

    private async Task RecordDecisionAsync(PgHaDbContext db, ApprovalRecord approval, string decision, Decider? decider, string? comment,
        CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var decidedBy = decider?.Principal;
        // Conditional update: of two concurrent decisions exactly one wins, and only if the rules hold for the stored rows.
        var guarded = db.Approvals.Where(a => a.Id == approval.Id && a.Decision == null);
        if (decider is not null)
        {
            var roles = decider.Roles.ToList();
            var principal = Principals.Normalise(decider.Principal);
            guarded = guarded.Where(a => roles.Contains(a.AllowedRole));
            if (options.ApproverMustDifferFromStarter)
                guarded = guarded.Where(a => db.Runs.Any(r => r.RunId == a.RunId && r.StartedBy.ToLower() != principal));
        }
        var won = await guarded.ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Decision, decision).SetProperty(a => a.DecidedBy, decidedBy)
            .SetProperty(a => a.DecidedAt, now).SetProperty(a => a.Comment, comment), cancellationToken);
        if (won == 0)
        {
            await db.Entry(approval).ReloadAsync(cancellationToken);
            if (approval.Decision is null && decider is not null)
                throw new ForbiddenException($"'{decider.Principal}' may not decide the approval at node '{approval.NodeId}'");
            throw new ConflictException($"the approval at node '{approval.NodeId}' was already decided: {approval.Decision} by {approval.DecidedBy ?? "the system"} at {approval.DecidedAt:u}");
        }
        (approval.Decision, approval.DecidedBy, approval.DecidedAt, approval.Comment) = (decision, decidedBy, now, comment);
        await host.PublishEvent(NodeStepBody.ApprovalEvent, approval.EventKey,
            new ApprovalDecisionEvent { Decision = decision, DecidedBy = decidedBy, Comment = comment, DecidedAtUtc = now }, now);
        logger.LogInformation("Approval at node {NodeId} of run {RunId}: {Decision} by {DecidedBy}", approval.NodeId, approval.RunId, decision, decidedBy);
        events.Publish(approval.RunId, RunEventKinds.ApprovalDecided, approval.NodeId, status: decision, message: comment);
    }

    // Housekeeping every few seconds: versions saved by other servers, decisions that never reached the engine, expired approvals.
    private async Task HousekeepingAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var now = DateTime.UtcNow;
                var expired = await db.Approvals.Where(a => a.Decision == null && a.ExpiresAt != null && a.ExpiresAt <= now)
                    .ToListAsync(cancellationToken);
                foreach (var (id, version, problem) in await library.RegisterStoredAsync(cancellationToken))
                    logger.LogError("Stored runbook {RunbookId} v{Version} does not compile here: {Problem}", id, version, problem);
                await RepublishLostDecisionsAsync(db, cancellationToken);
                foreach (var approval in expired)
                {
                    try
                    {
                        await RecordDecisionAsync(db, approval, ActivityOutcomes.TimedOut, null, "no decision before the approval expired", cancellationToken);
                    }
                    catch (ConflictException)
                    {
                        // Decided by a person a moment before it expired.
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Sweeping expired approvals failed; retrying");
            }
            await Task.Delay(options.ApprovalSweepInterval, cancellationToken);
        }
    }

    // A decision is recorded before its event is published; if the server stopped in between, the node still waits
    // (its subscription exists) but no event will ever come. Publish it again from the recorded decision.
    private async Task RepublishLostDecisionsAsync(PgHaDbContext db, CancellationToken cancellationToken)
    {
        var settled = DateTime.UtcNow.AddSeconds(-10);
        var lost = await (from a in db.Approvals.AsNoTracking()
                          where a.Decision != null && a.DecidedAt < settled
                          where db.Subscriptions.Any(s => s.EventName == NodeStepBody.ApprovalEvent && s.EventKey == a.EventKey)
                          where !db.Events.Any(e => e.EventName == NodeStepBody.ApprovalEvent && e.EventKey == a.EventKey)
                          select a).ToListAsync(cancellationToken);
        foreach (var a in lost)
        {
            logger.LogWarning("Re-publishing the {Decision} decision on run {RunId} node {NodeId}, which never reached the engine", a.Decision, a.RunId, a.NodeId);
            await host.PublishEvent(NodeStepBody.ApprovalEvent, a.EventKey, new ApprovalDecisionEvent
                { Decision = a.Decision!, DecidedBy = a.DecidedBy, Comment = a.Comment, DecidedAtUtc = a.DecidedAt!.Value }, DateTime.UtcNow);
        }
    }

    private async Task FailRunsOfBrokenVersionsAsync(IReadOnlyList<(string Id, int Version, string Problem)> broken, CancellationToken cancellationToken)
    {
        if (broken.Count == 0) return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var (id, version, problem) in broken)
        {
            logger.LogError("Runbook {RunbookId} v{Version} no longer compiles: {Problem}", id, version, problem);
            var runs = await db.Runs.Where(r => r.RunbookId == id && r.RunbookVersion == version && r.Status == RunStatus.Running)
                .ToListAsync(cancellationToken);
            foreach (var run in runs)
            {
                // An unregistered version makes WorkflowCore spin on the instance; end it before the host starts.
                var instance = await store.GetWorkflowInstance(run.WorkflowInstanceId, cancellationToken);
                if (instance is not null && instance.Status == WorkflowStatus.Runnable)
                {
                    instance.Status = WorkflowStatus.Terminated;
                    instance.CompleteTime = DateTime.UtcNow;
                    if (instance.Data is RunData data) data.Failure = $"runbook {id} v{version} no longer compiles: {problem}";
                    await store.PersistWorkflow(instance, cancellationToken);
                }
            }
        }
    }

    // The server stopped between recording a run and creating its instance: link it, or end it as never started.
    private async Task RepairRunsCutOffAtStartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var run in await db.Runs.Where(r => r.Status == RunStatus.Running && r.WorkflowInstanceId.StartsWith(RunStatusContributor.PendingInstancePrefix)).ToListAsync(cancellationToken))
        {
            var instance = await db.Workflows.AsNoTracking().Where(w => w.Reference == run.RunId)
                .Select(w => w.InstanceId).FirstOrDefaultAsync(cancellationToken);
            if (instance != default)
                run.WorkflowInstanceId = instance.ToString();
            else
            {
                run.Status = RunStatus.Failed;
                run.EndedAt = DateTime.UtcNow;
                run.Error = "the server stopped while starting this run; no node was executed — start it again";
            }
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task RestoreCancellationsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var run in await db.Runs.AsNoTracking().Where(r => r.CancelRequested && r.Status == RunStatus.Running).ToListAsync(cancellationToken))
        {
            cancellations.Cancel(run.RunId);
            terminator.Request(run.WorkflowInstanceId);
        }
    }

    private static RunSummary Summarize(RunRecord r, bool waiting) => new(r.RunId, r.RunbookId, r.RunbookVersion, r.ClusterId, r.Status,
        r.DryRun, waiting && r.Status == RunStatus.Running, r.StartedBy, r.StartedAt, r.EndedAt, r.Error);

    private static IReadOnlyList<NodeStateView> NodeStates(RunbookDefinition? runbook, List<JournalEntryRecord> journal)
    {
        if (runbook is null) return [];
        return runbook.Nodes.Select(n =>
        {
            var rows = journal.Where(j => j.NodeId == n.Id).ToList();
            var last = rows.LastOrDefault();
            return new NodeStateView(n.Id, n.DisplayName, n.Activity, last?.Status ?? "NotStarted",
                rows.Select(r => r.Attempt).DefaultIfEmpty(0).Max(), last?.Outcome ?? rows.LastOrDefault(r => r.Outcome is not null)?.Outcome,
                rows.FirstOrDefault()?.StartedAt, last?.EndedAt, last?.Error);
        }).ToList();
    }

    private static JournalEntryView ToView(JournalEntryRecord j) => new(j.Id, j.NodeId, j.Attempt, j.Status, j.StartedAt, j.EndedAt,
        j.Outcome, j.OutputsJson is null ? null : JsonSerializer.Deserialize<JsonElement>(j.OutputsJson), j.Log, j.Error);

    private static ApprovalView ToView(ApprovalRecord a, string startedBy) => new(a.Id, a.RunId, a.NodeId, a.Prompt, a.AllowedRole,
        a.RequestedAt, a.ExpiresAt, a.Decision, a.DecidedBy, a.DecidedAt, a.Comment, startedBy);
}

public sealed class RuntimeOptions
{
    /// <summary>Folders whose runbook JSON files are seeded into the store at start.</summary>
    public List<string> RunbookFolders { get; } = [];

    public TimeSpan ApprovalSweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>JSON file of secret name → value (mode 600); environment variables PGHA_SECRET_* take precedence.</summary>
    public string? SecretsFile { get; set; }

    public RunbookLimits Limits { get; set; } = new();

    /// <summary>Directories an imported cluster's key and known_hosts files must lie in; null accepts any path.</summary>
    public IReadOnlyList<string>? KeyDirectories { get; set; }

    /// <summary>Whoever started a run may not decide its approvals (four eyes).</summary>
    public bool ApproverMustDifferFromStarter { get; set; } = true;

    /// <summary>How often WorkflowCore looks for runnable runs (resumption after a restart waits at most this long).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>How big a runbook may be: bounds the work a single request can cause (validation, compilation, storage).</summary>
public sealed record RunbookLimits
{
    public int MaxNodes { get; init; } = 500;
    public int MaxConnections { get; init; } = 2000;
    public int MaxRunbookBytes { get; init; } = 1024 * 1024;
}
