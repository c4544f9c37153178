using System.Security.Claims;
using PgHa.Server.Auth;

namespace PgHa.Server.Api;

/// <summary>Who a key belongs to and its role, so a client (the designer) can show it and hide what the key may not do.</summary>
public sealed record SessionView(string Name, string Role);

public static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (ClaimsPrincipal user) => TypedResults.Ok(new SessionView(user.PrincipalName(), user.FindFirst("pgha:role")?.Value ?? "")))
            .WithTags("Session").RequireAuthorization(Roles.Viewer)
            .WithSummary("The key's principal name and role");
        return app;
    }
}
