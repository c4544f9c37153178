using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.FileProviders;
using PgHa.Activities;
using PgHa.Server.Api;
using PgHa.Server.Auth;
using PgHa.Server.Pages;
using PgHa.Workflows;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace PgHa.Server.Hosting;

/// <summary>Builds the server: the engine in-process, the API, auth, logging and the operator page. Used by Program and by 'pgha up'.</summary>
public static class PgHaServer
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(ServerSettings.DefaultUrl);

        var settings = ServerSettings.From(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(settings);
        // Enforced by Kestrel while the body is read, so chunked bodies are bounded as well as announced ones.
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            o.ConfigureEndpointDefaults(RejectedRequestProblems.Use);
        });
        AddLogging(builder, settings);

        builder.Services.AddRunbookEngine(settings.Store, o =>
        {
            if (settings.RunbookFolder is { } folder) o.RunbookFolders.Add(folder);
            o.SecretsFile = settings.SecretsFile;
            o.PollInterval = settings.PollInterval;
            o.ApproverMustDifferFromStarter = settings.ApproverMustDifferFromStarter;
            o.Limits = settings.RunbookLimits;
            o.KeyDirectories = settings.KeyDirectories;
        });
        // The host scripts live beside the runbooks that run them.
        builder.Services.AddPostgresHaActivities(o =>
            o.ScriptsDirectory = settings.RunbookFolder is { } runbooks && Directory.Exists(Path.Combine(runbooks, "scripts"))
                ? Path.Combine(runbooks, "scripts")
                : null);
        builder.Services.AddApiKeyAuth(settings.KeysFile);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.WriteIndented = false;
            // "runbook" twice or a misspelt field is a mistake to name, not to guess at (the last one winning, the other ignored).
            o.SerializerOptions.AllowDuplicateProperties = false;
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
        });
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        builder.Services.AddSingleton<Audit>();
        builder.Services.AddSingleton<RunControl>();
        builder.Services.AddSingleton<RunEventStream>();
        builder.Services.AddSingleton<ResponseRedaction>();

        var app = builder.Build();
        app.Services.GetRequiredService<ResponseRedaction>().RegisterEnvironmentSecrets();
        if (settings.RunbookFolder is null)
            app.Logger.LogWarning("No runbook folder: nothing is seeded at start (PgHa:RunbookFolder is none, or no workflows/ folder is above {ContentRoot} or {Program}); set PgHa:RunbookFolder to the repository's workflows folder",
                builder.Environment.ContentRootPath, AppContext.BaseDirectory);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSerilogRequestLogging(o => o.GetLevel = (ctx, _, e) =>
            e is not null || ctx.Response.StatusCode >= 500 ? LogEventLevel.Error : LogEventLevel.Debug);
        var designer = settings.DesignerFolder is { } folder && File.Exists(Path.Combine(folder, "index.html"))
            ? new PhysicalFileProvider(folder)
            : null;
        if (designer is not null)
        {
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = designer });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = designer });
        }
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi().AllowAnonymous();
        app.MapHealthApi();
        app.MapActivitiesApi();
        app.MapRunbooksApi();
        app.MapClustersApi();
        app.MapRunsApi();
        app.MapApprovalsApi();
        app.MapSessionApi();
        if (designer is not null)
            app.MapDesignerDeepLinks(designer);
        else
            app.MapHomePage();
        return app;
    }

    /// <summary>
    /// At the first start there is no key at all; create an admin key and show it once on the console (never in the
    /// log file). Returns the key, or null when keys exist.
    /// </summary>
    public static string? EnsureFirstKey(WebApplication app, TextWriter console)
    {
        var keys = app.Services.GetRequiredService<ApiKeyFile>();
        if (keys.List().Count > 0) return null;
        var key = keys.Create("admin", Roles.Admin);
        console.WriteLine($"""

            No API keys existed, so an admin key was created. It is shown only this once; keep it safe:

                {key}

            Stored (hashed) in {keys.Path}. More keys: pgha keys create --name NAME --role viewer|operator|approver|admin

            """);
        return key;
    }

    private static void AddLogging(WebApplicationBuilder builder, ServerSettings settings)
    {
        builder.Services.AddSerilog((_, log) => log
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
                .MinimumLevel.Override("WorkflowCore", LogEventLevel.Warning)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext()
                .Enrich.With<EscapedUserText>()
                .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}")
                .WriteTo.File(new CompactJsonFormatter(), Path.Combine(settings.LogDirectory, "pgha-.log"),
                    rollingInterval: RollingInterval.Day, retainedFileCountLimit: 31, fileSizeLimitBytes: 100 * 1024 * 1024,
                    rollOnFileSizeLimit: true, hooks: new OwnerAndGroupReadable()),
            // Several servers may live in one process (tests); each keeps its own logger.
            preserveStaticLogger: true);
    }
}
