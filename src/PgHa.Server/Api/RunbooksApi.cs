using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using PgHa.Server.Auth;
using PgHa.Workflows.Model;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

public static class RunbooksApi
{
    public static IEndpointRouteBuilder MapRunbooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runbooks").WithTags("Runbooks").RequireAuthorization(Roles.Viewer);

        api.MapGet("/", async (RunbookRuntime runtime, CancellationToken ct) =>
                TypedResults.Ok(Latest(await runtime.Runbooks.ListVersionsAsync(null, ct))))
            .WithSummary("Every runbook with its latest version");

        api.MapGet("/{id}", async (string id, int? version, RunbookRuntime runtime, CancellationToken ct) =>
                TypedResults.Ok((await runtime.Runbooks.GetAsync(id, version, ct) ?? throw NotFound(id, version)).Definition))
            .WithSummary("A runbook definition: the latest version, or ?version=N");

        api.MapGet("/{id}/versions", async (string id, RunbookRuntime runtime, CancellationToken ct) =>
            {
                var versions = await runtime.Runbooks.ListVersionsAsync(id, ct);
                return versions.Count == 0 ? throw NotFound(id, null) : TypedResults.Ok(versions);
            })
            .WithSummary("Every saved version of a runbook");

        api.MapGet("/{id}/versions/{version:int}/diff", async (string id, int version, RunbookRuntime runtime, CancellationToken ct) =>
                TypedResults.Ok(await runtime.Runbooks.DiffAsync(id, version, ct)))
            .ProducesProblem(404)
            .WithSummary("What publishing the version would change against the published one: fields, nodes by id, connections");

        api.MapPost("/{id}/versions/{version:int}/publish", async (string id, int version, RunbookRuntime runtime, Audit audit, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var published = await runtime.Runbooks.PublishAsync(id, version, user.PrincipalName(), ct);
                audit.RecordRunbook(user.PrincipalName(), "PublishRunbook", id, version,
                    $"{published.Diff.Changes.Count} changes against v{published.Diff.From?.ToString() ?? " none"}");
                return TypedResults.Ok(published);
            })
            .RequireAuthorization(Roles.Approver)
            .ProducesProblem(403)
            .ProducesProblem(404)
            .ProducesProblem(409)
            .WithSummary("Publishes a draft (a principal other than its author, role approver): plain starts run it from now on; returns the diff to the version published before");

        api.MapPost("/validate", async (HttpRequest request, RunbookRuntime runtime) =>
            {
                var errors = runtime.Runbooks.Validate(await RequestBody.ReadAsync(request));
                return errors.Count == 0
                    ? Results.Ok(new ValidationReport(true, []))
                    : ApiProblems.Validation(errors, "The runbook is invalid");
            })
            .Accepts<JsonObject>("application/json")
            .Produces<ValidationReport>()
            .ProducesValidationProblem()
            .WithSummary("Validates a runbook without saving it; 400 with one entry per field when it is invalid");

        api.MapPost("/", async (HttpRequest request, RunbookRuntime runtime, Audit audit, ClaimsPrincipal user, CancellationToken ct) =>
                Saved(await runtime.Runbooks.SaveAsync(await RequestBody.ReadAsync(request), user.PrincipalName(), asNextVersion: false, ct), audit, user))
            .RequireAuthorization(Roles.Operator)
            .Accepts<JsonObject>("application/json")
            .ProducesValidationProblem()
            .WithSummary("Saves a runbook version as given, as a draft (201 when new, 200 when identical to the stored one)");

        api.MapPut("/{id}", async (string id, HttpRequest request, RunbookRuntime runtime, Audit audit, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var json = await RequestBody.ReadAsync(request);
                var parsed = RunbookJson.Parse(json);
                if (parsed.Definition is { } d && d.Id != id)
                    throw new RequestFieldException("id", $"the body is runbook '{d.Id}' but the URL names '{id}'");
                return Saved(await runtime.Runbooks.SaveAsync(json, user.PrincipalName(), asNextVersion: true, ct), audit, user);
            })
            .RequireAuthorization(Roles.Operator)
            .Accepts<JsonObject>("application/json")
            .ProducesValidationProblem()
            .WithSummary("Saves the body as the next version of the runbook, as a draft (the version in the body is ignored)");
        return app;
    }

    private static Results<Created<RunbookDefinition>, Ok<RunbookDefinition>> Saved(SavedRunbook saved, Audit audit, ClaimsPrincipal user)
    {
        if (!saved.Created) return TypedResults.Ok(saved.Definition);
        audit.RecordRunbook(user.PrincipalName(), "SaveRunbook", saved.Definition.Id, saved.Definition.Version, "draft");
        return TypedResults.Created($"/api/runbooks/{saved.Definition.Id}?version={saved.Definition.Version}", saved.Definition);
    }

    private static IReadOnlyList<RunbookVersionInfo> Latest(IReadOnlyList<RunbookVersionInfo> versions) =>
        versions.GroupBy(v => v.Id).Select(g => g.MaxBy(v => v.Version)!).OrderBy(v => v.Id).ToList();

    private static NotFoundException NotFound(string id, int? version) =>
        new("runbook", version is { } v ? $"{id} v{v}" : id, "list runbooks with GET /api/runbooks or 'pgha runbooks list'");
}

public sealed record ValidationReport(bool Valid, IReadOnlyList<string> Errors);

/// <summary>Bodies that the engine parses itself (runbooks, cluster inventories) are read as text.</summary>
internal static class RequestBody
{
    public static async Task<string> ReadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) throw new RequestFieldException("$", "the request body is empty; send the JSON document");
        return text;
    }
}
