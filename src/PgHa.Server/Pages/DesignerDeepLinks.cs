using Microsoft.Extensions.FileProviders;

namespace PgHa.Server.Pages;

/// <summary>
/// The designer routes in the browser (/runs/{id}, /runbooks/{id}); a shared link or a reload asks the server for
/// such a path, which must answer with the designer's index.html. Unknown /api paths and missing files stay 404.
/// </summary>
public static class DesignerDeepLinks
{
    public static IEndpointRouteBuilder MapDesignerDeepLinks(this IEndpointRouteBuilder app, IFileProvider designer)
    {
        app.MapFallback(async context =>
        {
            var index = designer.GetFileInfo("index.html");
            // A missing file (/assets/x.js) is a 404 too: answering it with HTML would hide the broken build.
            var isFile = Path.HasExtension(context.Request.Path.Value);
            if (context.Request.Path.StartsWithSegments("/api") || isFile || !HttpMethods.IsGet(context.Request.Method) || !index.Exists)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.SendFileAsync(index, context.RequestAborted);
        }).AllowAnonymous();
        return app;
    }
}
