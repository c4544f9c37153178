using System.ComponentModel;
using PgHa.Postgres;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Checks;

public sealed record SmokeTestInput
{
    [Description("Role or host of the primary the token is written on.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public string WriteOn { get; init; } = "master";

    [Description("Roles or hosts that must see the token: standbys (streaming) and the replica (Londiste).")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required IReadOnlyList<string> ExpectOn { get; init; }

    [Description("Write through the pgbouncer of each host in pgbouncerHosts instead of straight to the primary's port.")]
    public bool ThroughPgBouncer { get; init; }

    [Description("pgbouncer hosts to write through when throughPgBouncer is set.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public IReadOnlyList<string> PgbouncerHosts { get; init; } = ["master", "slave"];

    [Description("Seconds each expected host may take to show the token.")]
    public int TimeoutSeconds { get; init; } = 60;
}

[Activity("SmokeTest", Description = "Writes a unique token into pgha_smoke on the primary (per replicated database) and waits for it on each standby and on the replica; Failed names the host that missed it.",
    Category = "Checks", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("tokens", "Database → token written.")]
[ActivityOutput("delays", "Host → database → seconds until the token was visible.")]
[ActivityOutput("mechanism", "Host → streaming (standby) or logical (Londiste leaf).")]
public sealed class SmokeTest : Activity<SmokeTestInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(SmokeTestInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        HostRef primary;
        IReadOnlyList<HostRef> expect, bouncers;
        try
        {
            cluster = ClusterHosts.For(context);
            primary = cluster.Resolve(input.WriteOn);
            expect = cluster.ResolveAll(input.ExpectOn, "expectOn");
            bouncers = input.ThroughPgBouncer ? cluster.ResolveAll(input.PgbouncerHosts, "pgbouncerHosts") : [];
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }
        var ct = context.CancellationToken;
        var smoke = new SmokeTokens();
        var probe = new PostgresProbe();

        // The token is derived from the run and node, so a re-executed node looks for the same rows instead of writing more.
        var baseToken = $"pgha-smoke-{context.RunId}-{context.NodeId}";
        var tokens = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            foreach (var db in cluster.Inventory.Databases)
            {
                var list = tokens[db] = [];
                if (bouncers.Count == 0)
                {
                    var written = await WriteAsync(smoke, cluster.AppEndpoint(primary, db), $"{baseToken}-direct", $"{primary.Name} direct", context);
                    list.Add(written);
                }
                foreach (var bouncer in bouncers)
                {
                    var written = await WriteAsync(smoke, cluster.AppEndpoint(bouncer, db, throughPgBouncer: true), $"{baseToken}-via-{bouncer.Name}",
                        $"{bouncer.Name} pgbouncer", context);
                    list.Add(written);
                }
            }
        }
        catch (Exception e) when (e is PostgresProbeException or Npgsql.NpgsqlException)
        {
            return ActivityResult.Failed($"writing the smoke token on {primary} failed: {e.Message}");
        }

        if (context.DryRun) return ActivityResult.Done(new { tokens });

        var timeout = TimeSpan.FromSeconds(Math.Max(1, input.TimeoutSeconds));
        var results = await HostFanOut.RunAsync(expect, context, async (host, log) =>
        {
            var state = await probe.GetServerStateAsync(cluster.AppEndpoint(host, cluster.Inventory.Databases[0]), ct);
            var mechanism = state.InRecovery ? "streaming" : "logical";
            var delays = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (db, list) in tokens)
                foreach (var token in list)
                {
                    var wait = await smoke.WaitForTokenAsync(cluster.AppEndpoint(host, db), token, timeout, TimeSpan.FromMilliseconds(200), ct);
                    if (!wait.Found)
                        throw new TimeoutException($"{host} did not show token {token} in {db} within {timeout.TotalSeconds:0} s ({mechanism})" +
                                                   (wait.LastError is null ? "" : ": " + wait.LastError));
                    delays[db] = Math.Round(Math.Max(delays.GetValueOrDefault(db), wait.Elapsed.TotalSeconds), 3);
                    log($"{db}: token {token} visible after {wait.Elapsed.TotalSeconds:0.000} s ({mechanism}, {wait.Polls} polls)");
                }
            return (Mechanism: mechanism, Delays: delays);
        });

        var ok = results.Where(r => r.Succeeded).ToList();
        var outputs = new
        {
            tokens,
            delays = ok.ToDictionary(r => r.Host.Name, r => r.Value.Delays),
            mechanism = ok.ToDictionary(r => r.Host.Name, r => r.Value.Mechanism),
        };
        return ok.Count == results.Count ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }

    private static async Task<string> WriteAsync(SmokeTokens smoke, PostgresEndpoint endpoint, string token, string via, ActivityContext context)
    {
        var change = $"insert token {token} into pgha_smoke.tokens via {endpoint}";
        if (context.DryRun)
        {
            context.Plan(change);
            return token;
        }
        var written = await smoke.WriteAsync(endpoint, token, via, context.CancellationToken);
        context.Changed(change);
        context.Log($"wrote {token} via {endpoint} at {written.WrittenAt:O} (commit LSN {written.CommitLsn})");
        return token;
    }
}
