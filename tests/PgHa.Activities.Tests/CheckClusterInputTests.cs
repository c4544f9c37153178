using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Activities.Checks;
using PgHa.Clusters;
using PgHa.Secrets;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Tests;

/// <summary>CheckCluster refuses inputs that would make a check silently vacuous, before it contacts any host.</summary>
public sealed class CheckClusterInputTests
{
    // Loopback only: should a refusal ever be missed, the probe goes to a closed local port, not to a network.
    private static readonly ClusterInventory Inventory = new()
    {
        Id = "c1",
        Hosts = [new ClusterHost { Name = "db-a", Address = "127.0.0.1" }, new ClusterHost { Name = "db-b", Address = "127.0.0.2" }],
        Roles = new Dictionary<string, string> { ["master"] = "db-a", ["slave"] = "db-b" },
        Accounts = new ClusterAccounts
        {
            Admin = new ClusterAccount { User = "devops", KeyFile = "/k/devops" },
            Deploy = new ClusterAccount { User = "silkcloud", KeyFile = "/k/silkcloud" },
        },
        KnownHostsFile = "/k/known_hosts",
        Databases = ["appdb"],
    };

    private static async Task<(ActivityResult Result, List<string> Log)> RunAsync(CheckClusterInput input)
    {
        var services = new ServiceCollection().AddLogging().AddPostgresHaActivities();
        services.AddSingleton(sp => new SecretStore(sp.GetRequiredService<SecretRedactor>()));
        await using var provider = services.BuildServiceProvider();
        var log = new List<string>();
        var context = new ActivityContext(log.Add)
        {
            RunId = "r1", NodeId = "preflight", Node = new() { Id = "preflight", Activity = "CheckCluster" }, Attempt = 1, DryRun = false,
            ClusterId = Inventory.Id, Cluster = Inventory, RunInputs = new Dictionary<string, JsonElement>(), Services = provider,
            CancellationToken = CancellationToken.None,
        };
        return (await new CheckCluster().ExecuteAsync(input, context), log);
    }

    [Fact]
    public async Task A_lag_limit_without_an_expected_standby_is_refused_not_ignored()
    {
        var (result, log) = await RunAsync(new CheckClusterInput { Expect = new Dictionary<string, string> { ["master"] = "primary" }, MaxLagBytes = 0 });
        Assert.True(result.IsFailure);
        Assert.StartsWith("maxLagBytes: no host is expected standby", result.Error);
        Assert.Empty(log); // refused before any host was read
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public async Task A_replica_lag_allowance_must_be_a_positive_number_of_seconds(double seconds)
    {
        var (result, log) = await RunAsync(new CheckClusterInput { Expect = new Dictionary<string, string> { ["master"] = "primary" }, MaxReplicaLagSeconds = seconds });
        Assert.True(result.IsFailure);
        Assert.StartsWith("maxReplicaLagSeconds:", result.Error);
        Assert.Empty(log);
    }
}
