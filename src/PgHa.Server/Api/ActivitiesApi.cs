using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using PgHa.Server.Auth;
using PgHa.Workflows.Activities;

namespace PgHa.Server.Api;

/// <summary>An activity as the designer and API clients see it: the catalog entry without its .NET types.</summary>
public sealed record ActivityView(string Name, string Description, string Category, IReadOnlyList<string> Outcomes,
    IReadOnlyDictionary<string, string> Outputs, bool Mutates, bool PlansInDryRun, JsonObject InputSchema)
{
    public static ActivityView Of(ActivityDescriptor d) => new(d.Name, d.Description, d.Category, d.Outcomes, d.Outputs, d.Mutates, d.PlansInDryRun, d.InputSchema);
}

public static class ActivitiesApi
{
    public static IEndpointRouteBuilder MapActivitiesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/activities").WithTags("Activities").RequireAuthorization(Roles.Viewer);
        api.MapGet("/", (ActivityCatalog catalog) => TypedResults.Ok(catalog.All.Select(ActivityView.Of).ToList()))
            .WithSummary("The activity catalog: every node type with its input schema, outputs and outcomes");
        api.MapGet("/{name}", Results<Ok<ActivityView>, ProblemHttpResult> (string name, ActivityCatalog catalog) =>
                catalog.Find(name) is { } found
                    ? TypedResults.Ok(ActivityView.Of(found))
                    : TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"activity '{name}' does not exist; GET /api/activities lists them"))
            .WithSummary("One activity of the catalog");
        return app;
    }
}
