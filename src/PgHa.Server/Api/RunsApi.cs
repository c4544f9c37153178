using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PgHa.Server.Auth;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(Roles.Viewer);

        api.MapPost("/", async (StartRunBody body, RunControl control, ResponseRedaction redaction, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var run = redaction.Redact(await control.StartAsync(body, user, ct));
                return TypedResults.Created($"/api/runs/{run.Run.RunId}", run);
            })
            .RequireAuthorization(Roles.Operator)
            .ProducesValidationProblem()
            .ProducesProblem(404)
            .ProducesProblem(409)
            .WithSummary("Starts a run: {runbook, version?, cluster?, inputs, dryRun?}");

        api.MapGet("/", async (string? status, string? runbook, string? cluster, int? limit, RunbookRuntime runtime, CancellationToken ct) =>
            {
                if (limit is < 1 or > 1000) throw new RequestFieldException("limit", "limit must be between 1 and 1000");
                return TypedResults.Ok(await runtime.ListRunsAsync(new RunFilter
                    { Status = status, RunbookId = runbook, ClusterId = cluster, Limit = limit ?? 100 }, ct));
            })
            .WithSummary("Runs, newest first; filters: status, runbook, cluster, limit");

        api.MapGet("/{id}", async (string id, RunbookRuntime runtime, ResponseRedaction redaction, CancellationToken ct) =>
                TypedResults.Ok(redaction.Redact(await runtime.GetRunAsync(id, ct) ?? throw new NotFoundException("run", id, "list runs with GET /api/runs"))))
            .WithSummary("A run: status, per-node state, journal and approvals");

        api.MapPost("/{id}/cancel", async (string id, RunControl control, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await control.CancelAsync(id, user, ct)))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Cancels a run; the node in flight is stopped and the rest skipped");

        api.MapGet("/{id}/events", (string id, HttpContext context, RunEventStream stream) => stream.StreamAsync(context, id))
            .Produces(200, contentType: "text/event-stream")
            .WithSummary("Server-sent events of one run: a 'snapshot' event with the run, then its events in order; ends after run.ended");

        app.MapGet("/api/events", (HttpContext context, RunEventStream stream) => stream.StreamAsync(context, null))
            .WithTags("Runs").RequireAuthorization(Roles.Viewer)
            .Produces(200, contentType: "text/event-stream")
            .WithSummary("Server-sent events of every run: a 'snapshot' event with the running runs, then every event");
        return app;
    }
}

public static class ApprovalsApi
{
    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/approvals", async (RunbookRuntime runtime, CancellationToken ct) => TypedResults.Ok(await runtime.ListOpenApprovalsAsync(ct)))
            .WithTags("Approvals").RequireAuthorization(Roles.Viewer)
            .WithSummary("Approvals waiting for a decision, oldest first");

        app.MapPost("/api/runs/{id}/approvals", async Task<Ok<ApprovalView>> (string id, DecisionBody body, RunControl control, ClaimsPrincipal user, CancellationToken ct) =>
                TypedResults.Ok(await control.DecideAsync(id, body, user, ct)))
            .WithTags("Approvals").RequireAuthorization(Roles.Approver)
            .ProducesValidationProblem()
            .ProducesProblem(403)
            .ProducesProblem(404)
            .ProducesProblem(409)
            .WithSummary("Approves or rejects the node waiting for approval: {node, decision: approve|reject, comment}");
        return app;
    }
}
