using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PgHa.Secrets;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// The per-attempt record of every node. An attempt's start is written at once (live views see it running, and an
/// attempt cut short by a crash stays visible as Interrupted); its end is written in the same transaction as the
/// checkpoint that moves the run on.
/// </summary>
public sealed class RunJournal(IDbContextFactory<PgHaDbContext> contexts, CheckpointBuffer checkpoint, RunEvents events, IDistributedLockProvider locks)
{
    public async Task<AttemptStart> StartAttemptAsync(string runId, string nodeId, string pointerId, int attempt, string inputsJson,
        CancellationToken cancellationToken)
    {
        var start = new AttemptStart(runId, nodeId, pointerId, attempt, inputsJson, DateTime.UtcNow, 0);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // Committed on its own (autocommit), so a crash during the attempt leaves it visible.
            start = start with { JournalId = await InsertRunning.ExecuteAsync(db, NewRow(start, JournalStatus.Running), cancellationToken) };
        }
        events.Publish(runId, RunEventKinds.NodeStarted, nodeId, attempt, JournalStatus.Running);
        return start;
    }

    // Both run once per attempt on the hot path, so they are single statements rather than SaveChanges (see RowStatement).
    private static readonly RowInsert<JournalEntryRecord> InsertRunning = new(
        nameof(JournalEntryRecord.RunId), nameof(JournalEntryRecord.NodeId), nameof(JournalEntryRecord.PointerId),
        nameof(JournalEntryRecord.Attempt), nameof(JournalEntryRecord.Status), nameof(JournalEntryRecord.StartedAt),
        nameof(JournalEntryRecord.InputsJson));

    private static readonly RowUpdate<JournalEntryRecord> UpdateEnd = new(
    [
        nameof(JournalEntryRecord.Status), nameof(JournalEntryRecord.EndedAt), nameof(JournalEntryRecord.Outcome),
        nameof(JournalEntryRecord.OutputsJson), nameof(JournalEntryRecord.Log), nameof(JournalEntryRecord.Error),
    ]);

    /// <summary>
    /// At start-up this process runs nothing yet, so an attempt still marked Running was cut short by a process that
    /// stopped; its node runs again once the run resumes. With several servers on one store another one may be running
    /// it right now: an attempt runs inside an engine pass, which holds the instance's lock, so only attempts whose
    /// instance lock is free are marked.
    /// </summary>
    public async Task MarkInterruptedAttemptsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cutShort = await db.Journal.Where(j => j.Status == JournalStatus.Running)
            .Join(db.Runs, j => j.RunId, r => r.RunId, (j, r) => new { r.RunId, r.WorkflowInstanceId })
            .Distinct().ToListAsync(cancellationToken);
        foreach (var run in cutShort)
        {
            if (!await locks.AcquireLock(run.WorkflowInstanceId, cancellationToken)) continue; // in flight on another server
            try
            {
                await db.Journal.Where(j => j.RunId == run.RunId && j.Status == JournalStatus.Running).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JournalStatus.Interrupted)
                    .SetProperty(j => j.EndedAt, DateTime.UtcNow)
                    .SetProperty(j => j.Error, "the server stopped while this attempt was in flight; the node runs again"), cancellationToken);
            }
            finally
            {
                await locks.ReleaseLock(run.WorkflowInstanceId);
            }
        }
    }

    /// <summary>
    /// Queues the end of an attempt into the checkpoint of this pass. If that checkpoint fails, the engine runs the
    /// node again from the store, so the attempt is recorded as interrupted instead of staying "Running".
    /// </summary>
    public void EndAttempt(WorkflowInstance instance, AttemptStart start, AttemptEnd end)
    {
        var row = new JournalEntryRecord
        {
            Id = start.JournalId, Status = end.Status, EndedAt = DateTime.UtcNow, Outcome = end.Outcome,
            OutputsJson = end.Outputs is null ? null : JsonSerializer.Serialize(end.Outputs), Log = end.Log, Error = end.Error,
        };
        checkpoint.Add(instance, async (db, ct) => await UpdateEnd.ExecuteAsync(db, row, ct));
        checkpoint.AfterCommit(instance, () =>
            events.Publish(start.RunId, RunEventKinds.NodeEnded, start.NodeId, start.Attempt, end.Status, end.Outcome, end.Error));
        checkpoint.OnRollback(instance, async error =>
        {
            // The exception's own text stays in the server log (it may name database internals).
            var reason = $"this attempt ended ({end.Status}) but saving the run's progress failed ({error.GetType().Name}); the node runs again";
            await using var db = await contexts.CreateDbContextAsync();
            var marked = await db.Journal.Where(j => j.Id == start.JournalId && j.Status == JournalStatus.Running).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JournalStatus.Interrupted)
                .SetProperty(j => j.EndedAt, DateTime.UtcNow)
                .SetProperty(j => j.Log, end.Log)
                .SetProperty(j => j.Error, reason));
            if (marked > 0)
                events.Publish(start.RunId, RunEventKinds.NodeEnded, start.NodeId, start.Attempt, JournalStatus.Interrupted, message: reason);
        });
    }

    private static JournalEntryRecord NewRow(AttemptStart start, string status) => new()
    {
        RunId = start.RunId, NodeId = start.NodeId, PointerId = start.PointerId, Attempt = start.Attempt,
        Status = status, StartedAt = start.StartedAt, InputsJson = start.InputsJson,
    };

    /// <summary>Records a node pass that did not run an activity (skipped, or a branch arriving at its Join).</summary>
    public void RecordPass(WorkflowInstance instance, string runId, string nodeId, string pointerId, int attempt, string status, string message)
    {
        var now = DateTime.UtcNow;
        checkpoint.Add(instance, db => db.Add(new JournalEntryRecord
        {
            RunId = runId, NodeId = nodeId, PointerId = pointerId, Attempt = attempt, Status = status,
            StartedAt = now, EndedAt = now, Log = message,
        }));
        checkpoint.AfterCommit(instance, () =>
            events.Publish(runId, RunEventKinds.NodeEnded, nodeId, attempt, status, message: message));
    }
}

public sealed record AttemptStart(string RunId, string NodeId, string PointerId, int Attempt, string InputsJson, DateTime StartedAt, long JournalId);

public sealed record AttemptEnd(string Status, string? Outcome, IReadOnlyDictionary<string, JsonElement>? Outputs, string? Log, string? Error);

/// <summary>Collects an attempt's log lines (redacted), streams them live, and caps what the journal keeps.</summary>
public sealed class AttemptLog(string runId, string nodeId, int attempt, RunEvents events, SecretRedactor redactor)
{
    private const int MaxJournalChars = 256 * 1024;
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();
    private bool _truncated;

    public void Write(string line)
    {
        var clean = redactor.Redact(line);
        lock (_gate)
        {
            var room = MaxJournalChars - _text.Length;
            if (clean.Length + 1 <= room) _text.AppendLine(clean);
            else if (!_truncated)
            {
                // Keep the head of the line that crosses the cap, so a single huge line leaves something and the marker.
                _text.Append(clean.AsSpan(0, Math.Max(0, room))).AppendLine();
                _truncated = true;
            }
        }
        events.Publish(runId, RunEventKinds.NodeLog, nodeId, attempt, message: clean);
    }

    public string? Text
    {
        get
        {
            lock (_gate)
            {
                if (_text.Length == 0 && !_truncated) return null;
                return _truncated ? _text + $"[log truncated at {MaxJournalChars} characters]" : _text.ToString();
            }
        }
    }
}
