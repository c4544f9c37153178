using Microsoft.Extensions.Diagnostics.HealthChecks;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Api;

/// <summary>Healthy when the store answers a query; the engine itself runs in the same process.</summary>
public sealed class StoreHealthCheck(RunbookRuntime runtime) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await runtime.ListRunsAsync(new RunFilter { Limit = 1 }, cancellationToken);
            return HealthCheckResult.Healthy("store answers");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the store does not answer: " + e.GetType().Name);
        }
    }
}

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz").AllowAnonymous();
        return app;
    }
}
