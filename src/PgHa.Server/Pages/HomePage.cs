using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using PgHa.Server.Auth;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Pages;

/// <summary>
/// A plain server-rendered page for operators until the designer is built: runbooks and recent runs. A browser
/// cannot send headers, so the page takes the API key once through a form and keeps it in an HttpOnly cookie
/// that only pages (never /api) accept.
/// </summary>
public static class HomePage
{
    public static IEndpointRouteBuilder MapHomePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (HttpContext context, RunbookRuntime runtime, CancellationToken ct) =>
        {
            if (context.User.Identity?.IsAuthenticated != true || !context.User.IsInRole(Roles.Viewer))
                return Results.Content(Layout("Sign in", LoginForm(context.Request.Query.ContainsKey("failed")), refresh: false), "text/html; charset=utf-8");
            var runbooks = (await runtime.Runbooks.ListVersionsAsync(null, ct)).GroupBy(v => v.Id).Select(g => g.MaxBy(v => v.Version)!).ToList();
            var runs = await runtime.ListRunsAsync(new RunFilter { Limit = 50 }, ct);
            return Results.Content(Layout("PgHaWorkflows", Body(context.User, runbooks, runs), refresh: true), "text/html; charset=utf-8");
        }).ExcludeFromDescription();

        app.MapPost("/login", async (HttpContext context, ApiKeyFile keys) =>
        {
            var form = await context.Request.ReadFormAsync();
            var key = form["key"].ToString().Trim();
            if (key.Length == 0 || keys.Find(key) is null) return Results.Redirect("/?failed=1");
            context.Response.Cookies.Append(ApiKeyAuthenticationHandler.CookieName, key, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/",
                MaxAge = TimeSpan.FromHours(12),
            });
            return Results.Redirect("/");
        }).DisableAntiforgery().ExcludeFromDescription();

        app.MapPost("/logout", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(ApiKeyAuthenticationHandler.CookieName);
            return Results.Redirect("/");
        }).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static string LoginForm(bool failed) =>
        (failed ? "<p class=\"bad\">That key is not known.</p>" : "") +
        """
        <form method="post" action="/login">
          <label>API key <input type="password" name="key" autocomplete="off" size="50"></label>
          <button type="submit">Sign in</button>
        </form>
        <p>Create a key with <code>pgha keys create --name NAME --role viewer</code>.</p>
        """;

    private static string Body(ClaimsPrincipal user, IReadOnlyList<RunbookVersionInfo> runbooks, IReadOnlyList<RunSummary> runs)
    {
        var h = HtmlEncoder.Default;
        var s = new StringBuilder();
        s.Append($"<p>Signed in as <b>{h.Encode(user.PrincipalName())}</b> ({h.Encode(user.FindFirst("pgha:role")?.Value ?? "")}). ")
            .Append("<form method=\"post\" action=\"/logout\" style=\"display:inline\"><button>Sign out</button></form></p>");
        s.Append("<h2>Runbooks</h2><table><tr><th>id</th><th>name</th><th>latest version</th><th>saved</th><th>by</th></tr>");
        foreach (var r in runbooks)
            s.Append($"<tr><td><code>{h.Encode(r.Id)}</code></td><td>{h.Encode(r.Name)}</td><td>{r.Version}</td><td>{r.CreatedAt:u}</td><td>{h.Encode(r.CreatedBy ?? "")}</td></tr>");
        if (runbooks.Count == 0) s.Append("<tr><td colspan=\"5\">no runbooks yet</td></tr>");
        s.Append("</table><h2>Recent runs</h2><table><tr><th>run</th><th>runbook</th><th>cluster</th><th>status</th><th>started</th><th>by</th><th>ended</th><th>error</th></tr>");
        foreach (var r in runs)
        {
            var status = r.WaitingForApproval ? "Waiting for approval" : r.Status;
            s.Append($"<tr class=\"{h.Encode(r.Status.ToLowerInvariant())}\"><td><code>{h.Encode(r.RunId)}</code></td>")
                .Append($"<td>{h.Encode(r.RunbookId)} v{r.RunbookVersion}</td><td>{h.Encode(r.ClusterId ?? "")}</td>")
                .Append($"<td>{h.Encode(status)}{(r.DryRun ? " (dry run)" : "")}</td><td>{r.StartedAt:u}</td><td>{h.Encode(r.StartedBy)}</td>")
                .Append($"<td>{(r.EndedAt is { } e ? e.ToString("u") : "")}</td><td>{h.Encode(r.Error ?? "")}</td></tr>");
        }
        if (runs.Count == 0) s.Append("<tr><td colspan=\"8\">no runs yet</td></tr>");
        s.Append("</table><p>Details: <code>pgha runs show RUN</code> or <code>GET /api/runs/RUN</code>. API document: <a href=\"/openapi/v1.json\">/openapi/v1.json</a>.</p>");
        return s.ToString();
    }

    private static string Layout(string title, string body, bool refresh) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{HtmlEncoder.Default.Encode(title)}}</title>
        {{(refresh ? "<meta http-equiv=\"refresh\" content=\"10\">" : "")}}
        <style>
          body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
          table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
          tr.failed td { background: #fdd; } tr.completed td { background: #dfd; } tr.running td { background: #ffd; }
          .bad { color: #a00; }
        </style></head>
        <body><h1>PgHaWorkflows</h1>{{body}}</body></html>
        """;
}
