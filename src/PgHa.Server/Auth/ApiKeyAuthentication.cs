using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace PgHa.Server.Auth;

/// <summary>
/// Reads the API key from <c>Authorization: Bearer</c> or <c>X-Api-Key</c>; the HTML page may also use the cookie
/// set by its login form (never the API, so a browser cannot be tricked into mutating calls).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyFile keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string CookieName = "pgha_key";
    public const string KeyNameClaim = "pgha:key";
    public const string RunDraftsClaim = "pgha:run-drafts";
    public const string KeyHashClaim = "pgha:key-hash";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = PresentedKey(Request);
        if (key is null) return Task.FromResult(AuthenticateResult.NoResult());
        var entry = keys.Find(key);
        if (entry is null) return Task.FromResult(AuthenticateResult.Fail("the API key is not known (revoked, or mistyped)"));

        var claims = new List<Claim> { new(ClaimTypes.Name, entry.PrincipalName), new(KeyNameClaim, entry.Name) };
        if (entry.RunDrafts) claims.Add(new Claim(RunDraftsClaim, "true"));
        claims.Add(new Claim(KeyHashClaim, entry.Hash));
        claims.AddRange(Roles.Implied(entry.Role).Select(r => new Claim(ClaimTypes.Role, r)));
        claims.Add(new Claim("pgha:role", entry.Role));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim() is { Length: > 0 } bearer ? bearer : null;
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && header.ToString() is { Length: > 0 } value) return value.Trim();
        if (!request.Path.StartsWithSegments("/api") && request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length > 0)
            return cookie;
        return null;
    }
}

/// <summary>401 and 403 as problem details that say what is missing, instead of empty bodies.</summary>
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            var failure = (await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName)).Failure?.Message;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = 401, Title = "An API key is required",
                    Detail = failure ?? "send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'; create one with 'pgha keys create'",
                },
            });
            return;
        }
        if (result.Forbidden)
        {
            // Group and endpoint policies combine; the most powerful role named is the one that was missing.
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles)
                .OrderByDescending(r => Roles.Ordered.ToList().IndexOf(r)).FirstOrDefault() ?? "another role";
            var who = context.User.Identity?.Name ?? "this key";
            var has = context.User.FindFirst("pgha:role")?.Value ?? "none";
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 403, Title = "The key's role does not allow this", Detail = $"this needs role {needed}; key '{who}' has role {has}" },
            });
            return;
        }
        await _default.HandleAsync(next, context, policy, result);
    }
}

public static class AuthExtensions
{
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services, string keysFile)
    {
        services.AddSingleton(new ApiKeyFile(keysFile));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.Viewer))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Roles.Approver, p => p.RequireRole(Roles.Approver))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return services;
    }

    public static string PrincipalName(this ClaimsPrincipal user) =>
        user.Identity?.Name ?? throw new InvalidOperationException("an authenticated request without a name");
}
