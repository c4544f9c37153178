using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PgHa.Secrets;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Activities.BuiltIn;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Compilation;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using WorkflowCore.Interface;
using WorkflowCore.Services.ErrorHandlers;

namespace PgHa.Workflows;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// The runbook engine on the SQLite store at <paramref name="databaseFile"/>: WorkflowCore with our persistence,
    /// bounded error handling, the built-in activities and the <see cref="RunbookRuntime"/> facade (a hosted service).
    /// </summary>
    public static IServiceCollection AddRunbookEngine(this IServiceCollection services, string databaseFile,
        Action<RuntimeOptions>? configure = null)
        => services.AddRunbookEngine(new StoreLocation.Sqlite(databaseFile), configure);

    /// <summary>
    /// The runbook engine on the store at <paramref name="store"/>. With <see cref="StoreLocation.Postgres"/> several
    /// nodes may share the database: WorkflowCore then locks through PostgreSQL advisory locks instead of in memory.
    /// </summary>
    public static IServiceCollection AddRunbookEngine(this IServiceCollection services, StoreLocation store,
        Action<RuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var options = new RuntimeOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddPgHaStore(store);
        services.AddSingleton(sp => new HeldWorkflowLocks(sp.WorkflowLocks(store)));
        services.AddWorkflow(o =>
        {
            o.UsePgHaStore();
            o.UseDistributedLockManager(sp => sp.GetRequiredService<HeldWorkflowLocks>());
            o.UseQueueProvider(sp => new RunningWorkflowQueue(new WorkflowCore.Services.SingleNodeQueueProvider(), sp.GetRequiredService<HeldWorkflowLocks>()));
            o.UsePollInterval(options.PollInterval);
            // No search index is configured; its consumer would only reload every instance after each pass.
            o.EnableIndexes = false;
        });
        // WorkflowCore retries a failing step forever by default; ours gives up after a few tries.
        services.RemoveAll<IWorkflowErrorHandler>();
        services.AddTransient<IWorkflowErrorHandler, CompensateHandler>();
        services.AddTransient<IWorkflowErrorHandler, BoundedRetryErrorHandler>();
        services.AddTransient<IWorkflowErrorHandler, TerminateHandler>();
        services.AddTransient<IWorkflowErrorHandler, SuspendHandler>();

        services.TryAddSingleton<SecretRedactor>();
        services.TryAddSingleton(sp => new SecretStore(sp.GetRequiredService<SecretRedactor>(), options.SecretsFile));
        services.AddSingleton<ClusterDirectory>();
        services.AddSingleton<HostFences>();
        services.AddSingleton<IClusterSnapshots>(sp => sp.GetRequiredService<ClusterDirectory>());
        services.AddSingleton<IRunTemplateSources, ClusterTemplateSources>();
        services.AddSingleton<ClusterFitCheck>();
        services.AddSingleton<ActivityCatalog>();
        services.AddSingleton<RunbookCompiler>();
        services.AddSingleton<RunbookLibrary>();
        services.AddSingleton<RunEvents>();
        services.AddSingleton<RunCancellations>();
        services.AddSingleton<RunTerminator>();
        services.AddSingleton<RunJournal>();
        services.AddSingleton<CheckpointBuffer>();
        services.AddSingleton<ICheckpointContributor>(sp => sp.GetRequiredService<CheckpointBuffer>());
        services.AddSingleton<ICheckpointContributor, RunStatusContributor>();
        services.AddSingleton<RunbookRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<RunbookRuntime>());

        services.AddActivity<Fork>();
        services.AddActivity<Join>();
        services.AddActivity<Fail>();
        services.AddActivity<Delay>();
        services.AddActivity<Log>();
        services.AddActivity<WaitForApproval>();
        return services;
    }

    /// <summary>Makes an activity available to runbooks under the name in its [Activity] attribute.</summary>
    public static IServiceCollection AddActivity<TActivity>(this IServiceCollection services) where TActivity : class, IActivity
    {
        services.AddTransient<TActivity>();
        services.AddSingleton(new ActivityRegistration(typeof(TActivity)));
        return services;
    }
}
