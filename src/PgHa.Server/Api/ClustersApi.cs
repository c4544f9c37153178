using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using PgHa.Clusters;
using PgHa.Server.Auth;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

public static class ClustersApi
{
    public static IEndpointRouteBuilder MapClustersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/clusters").WithTags("Clusters").RequireAuthorization(Roles.Viewer);

        api.MapGet("/", async (ClusterDirectory clusters, CancellationToken ct) => TypedResults.Ok(await clusters.ListAsync(ct)))
            .WithSummary("Every cluster inventory: id, name, roles, host count");

        api.MapGet("/{id}", async (string id, ClusterDirectory clusters, CancellationToken ct) =>
                TypedResults.Ok(await clusters.GetAsync(id, ct) ?? throw NotFound(id)))
            .WithSummary("A cluster inventory (secret references only, never secret values)");

        api.MapGet("/{id}/export", async (string id, ClusterDirectory clusters, CancellationToken ct) =>
                TypedResults.Text(await clusters.ExportAsync(id, ct) ?? throw NotFound(id), "application/json"))
            .Produces<ClusterInventory>()
            .WithSummary("The inventory as an importable JSON file");

        api.MapGet("/{id}/fences", async (string id, ClusterDirectory clusters, HostFences fences, CancellationToken ct) =>
            {
                if (await clusters.GetAsync(id, ct) is null) throw NotFound(id);
                return TypedResults.Ok((await fences.ForClusterAsync(id, ct)).Select(f => new HostFenceView(
                    f.Host, f.State, f.Reason, f.RecordedBy, f.RecordedAt, f.CarriedOutAt, f.Result, f.Attempts)).ToList());
            })
            .WithSummary("Fenced hosts of a cluster: pending (the server fences the host as soon as it answers), done, or failed (retried); a host is fenced until it is rebuilt as a standby");

        api.MapPost("/", async Task<Results<Created<ClusterInventory>, Ok<ClusterInventory>>> (
                HttpRequest request, ClusterDirectory clusters, ClaimsPrincipal user, CancellationToken ct, bool replaceRoles = false) =>
            {
                var result = await clusters.ImportAsync(await RequestBody.ReadAsync(request), user.PrincipalName(), ct, replaceRoles);
                // The body shows the roles as stored; the header says why they differ from the file's.
                if (result.KeptRoles is { } kept) request.HttpContext.Response.Headers["X-PgHa-Notice"] = kept;
                return result.Created
                    ? TypedResults.Created($"/api/clusters/{result.Inventory.Id}", result.Inventory)
                    : TypedResults.Ok(result.Inventory);
            })
            .RequireAuthorization(Roles.Operator)
            .Accepts<JsonObject>("application/json")
            .ProducesValidationProblem()
            .WithSummary("Imports an inventory (201 when new; an existing cluster of that id is replaced, 200, keeping roles a failover handed over unless replaceRoles=true)");
        return app;
    }

    public sealed record HostFenceView(string Host, string State, string Reason, string RecordedBy, DateTime RecordedAt,
        DateTime? CarriedOutAt, string? Result, int Attempts);

    private static NotFoundException NotFound(string id) =>
        new("cluster", id, "list clusters with GET /api/clusters or 'pgha clusters list'");
}
