using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PgHa.Activities.Checks;
using PgHa.Activities.Clusters;
using PgHa.Activities.Fencing;
using PgHa.Activities.Londiste;
using PgHa.Activities.Postgres;
using PgHa.Activities.Hosts;
using PgHa.Activities.PgBouncer;
using PgHa.Activities.Scripts;
using PgHa.Remote;
using PgHa.Secrets;
using PgHa.Workflows;

namespace PgHa.Activities;

public static class ActivitiesServiceCollectionExtensions
{
    /// <summary>The PostgreSQL HA activities (hosts, scripts, pgbouncer, PostgreSQL, Londiste, checks, roles) and the SSH pool they share.</summary>
    public static IServiceCollection AddPostgresHaActivities(this IServiceCollection services, Action<ScriptOptions>? configure = null)
    {
        var options = new ScriptOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.TryAddSingleton<SecretRedactor>();
        services.TryAddSingleton(sp => new SshConnectionPool(sp.GetRequiredService<SecretRedactor>(), sp.GetService<ILoggerFactory>()));
        services.AddActivity<InstallPackage>();
        services.AddActivity<UploadScripts>();
        services.AddActivity<RunRemoteScript>();
        services.AddSingleton<PgHa.Workflows.Validation.INodeInputCheck, RunRemoteScriptInputCheck>();
        services.AddActivity<SwitchPgBouncer>();
        services.AddActivity<SmokeTest>();
        services.AddActivity<CheckCluster>();
        services.AddActivity<PausePgBouncer>();
        services.AddActivity<ResumePgBouncer>();
        services.AddActivity<StopPostgres>();
        services.AddActivity<StartPostgres>();
        services.AddActivity<WaitForLsn>();
        services.AddActivity<PromoteStandby>();
        services.AddActivity<RejoinAsStandby>();
        services.AddActivity<MoveLondisteRoot>();
        services.AddActivity<SetClusterRoles>();
        services.AddActivity<FenceHost>();
        services.AddActivity<CheckMasterDown>();
        services.AddActivity<CheckSlaveBroken>();
        services.TryAddSingleton<FenceKeeperOptions>();
        services.AddSingleton<PendingFenceKeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<PendingFenceKeeper>());
        return services;
    }
}
