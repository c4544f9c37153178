using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Server.Api;

/// <summary>
/// Server-sent events: subscribe first, then send the current state as a 'snapshot' event, then every event in
/// order, with a comment line as heartbeat so proxies keep the connection open. A single run's stream ends after its
/// run.ended event; the all-runs stream lasts until the client goes away. Either ends within
/// <see cref="KeyRecheck"/> of its key being revoked or its role lowered.
/// </summary>
public sealed class RunEventStream(RunbookRuntime runtime, ServerSettings settings, ResponseRedaction redaction, ApiKeyFile keys,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    private static readonly TimeSpan KeyRecheck = TimeSpan.FromSeconds(1);
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public async Task StreamAsync(HttpContext context, string? runId)
    {
        var ct = context.RequestAborted;
        // Subscribing before reading the snapshot means an event may appear in both, but none is lost in between.
        using var subscription = runtime.Watch(runId);
        object snapshot;
        var finished = false;
        if (runId is not null)
        {
            var run = await runtime.GetRunAsync(runId, ct) ?? throw new NotFoundException("run", runId, "list runs with GET /api/runs");
            snapshot = redaction.Redact(run);
            finished = RunStatus.IsFinished(run.Run.Status);
        }
        else
            snapshot = await runtime.ListRunsAsync(new RunFilter { Status = RunStatus.Running, Limit = 1000 }, ct);

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await WriteAsync(response, "snapshot", null, JsonSerializer.Serialize(snapshot, _json), ct);
        if (finished) return;

        // The enumerator is never disposed while a read is pending (channels refuse that); cancelling ends the read.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var events = subscription.ReadAllAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        var next = events.MoveNextAsync().AsTask();
        var keyHash = context.User.FindFirst(ApiKeyAuthenticationHandler.KeyHashClaim)?.Value ?? "";
        var keyRole = context.User.FindFirst("pgha:role")?.Value ?? Roles.Admin;
        var lastWrite = DateTime.UtcNow;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var tick = Task.Delay(KeyRecheck < settings.HeartbeatInterval ? KeyRecheck : settings.HeartbeatInterval, ct);
                if (await Task.WhenAny(next, tick) != next)
                {
                    if (!keys.StillGrants(keyHash, keyRole)) return;
                    if (DateTime.UtcNow - lastWrite < settings.HeartbeatInterval) continue;
                    await response.WriteAsync(": heartbeat\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    lastWrite = DateTime.UtcNow;
                    continue;
                }
                if (!await next) return;
                if (!keys.StillGrants(keyHash, keyRole)) return;
                var e = redaction.Redact(events.Current);
                await WriteAsync(response, e.Kind, e.Sequence, JsonSerializer.Serialize(e, _json), ct);
                lastWrite = DateTime.UtcNow;
                if (runId is not null && e.Kind == RunEventKinds.RunEnded) return;
                next = events.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await stop.CancelAsync();
            try { await next; } catch (OperationCanceledException) { }
        }
    }

    private static async Task WriteAsync(HttpResponse response, string kind, long? id, string data, CancellationToken ct)
    {
        var text = new StringBuilder();
        if (id is { } i) text.Append("id: ").Append(i).Append('\n');
        text.Append("event: ").Append(kind).Append('\n').Append("data: ").Append(data).Append("\n\n");
        await response.WriteAsync(text.ToString(), ct);
        await response.Body.FlushAsync(ct);
    }
}
