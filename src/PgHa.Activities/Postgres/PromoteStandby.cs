using System.ComponentModel;
using PgHa.Activities.Scripts;
using PgHa.Postgres;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Postgres;

public sealed record PromoteStandbyInput
{
    [Description("Role or host name of the standby to promote.")]
    public required string Host { get; init; }

    [Description("Roles or hosts that must not be a writable primary at this moment (the split-brain guard); each is probed directly and the promotion is refused if one answers as a primary.")]
    public IReadOnlyList<string> RefuseIfPrimary { get; init; } = [];

    [Description("Seconds the promotion may take.")]
    public int TimeoutSeconds { get; init; } = 60;
}

[Activity("PromoteStandby", Description = "Promotes a standby (pg_promote, then polls until it is out of recovery). Already a primary is success. Refuses while another named host still answers as a primary.",
    Category = "PostgreSQL", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("timeline", "The new primary's timeline.")]
[ActivityOutput("lsn", "Its current WAL position right after the promotion.")]
[ActivityOutput("alreadyPrimary", "True when it was a primary already.")]
public sealed class PromoteStandby : Activity<PromoteStandbyInput>
{
    protected override Task<ActivityResult> ExecuteAsync(PromoteStandbyInput input, ActivityContext context) =>
        OneHostScript.RunAsync(context, input.Host, "promote_standby.sh", [OneHostScript.Seconds(input.TimeoutSeconds)], input.TimeoutSeconds,
            r => new
            {
                timeline = int.Parse(r.Value("timeline", "promote_standby.sh"), System.Globalization.CultureInfo.InvariantCulture),
                lsn = r.Value("lsn", "promote_standby.sh"), alreadyPrimary = r.Values.GetValueOrDefault("alreadyPrimary") == "true",
            },
            h => new { timeline = OneHostScript.Planned(h, "new timeline"), lsn = OneHostScript.Planned(h, "WAL position after the promotion"), alreadyPrimary = false },
            (cluster, host) => RefuseWhileAnotherPrimaryAnswersAsync(cluster, host, input.RefuseIfPrimary, context));

    private static async Task RefuseWhileAnotherPrimaryAnswersAsync(ClusterHosts cluster, HostRef promoting, IReadOnlyList<string> others, ActivityContext context)
    {
        if (others.Count == 0) return;
        var probe = new PostgresProbe();
        foreach (var other in cluster.ResolveAll(others, "refuseIfPrimary").Where(h => h.Name != promoting.Name))
        {
            var endpoint = cluster.AppEndpoint(other, cluster.Inventory.Databases[0]) with { Timeout = TimeSpan.FromSeconds(3) };
            var reach = await probe.IsUpAsync(endpoint, context.CancellationToken);
            if (!reach.IsUp)
            {
                context.Log($"{other} does not answer ({reach.Failure}): safe to promote {promoting}");
                continue;
            }
            var state = await probe.GetServerStateAsync(endpoint, context.CancellationToken);
            if (!state.InRecovery)
                throw new ActivityInputException($"{other} still answers as a primary at {other.Address}: promoting {promoting} now would give two writable servers; stop or fence {other} first");
            context.Log($"{other} answers as a standby: safe to promote {promoting}");
        }
    }
}
