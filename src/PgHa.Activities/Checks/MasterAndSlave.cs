using PgHa.Postgres;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Checks;

/// <summary>The two hosts an unplanned failover's evidence looks at, and their PostgreSQL probed with a bounded timeout.</summary>
internal sealed record MasterAndSlave(ClusterHosts Cluster, HostRef Master, HostRef Slave, TimeSpan Timeout)
{
    /// <exception cref="ActivityInputException">a reference the cluster lacks, the same host twice, or a timeout out of 1–60 s</exception>
    public static MasterAndSlave Resolve(ActivityContext context, string master, string slave, int timeoutSeconds)
    {
        var cluster = ClusterHosts.For(context);
        var pair = new MasterAndSlave(cluster, cluster.Resolve(master), cluster.Resolve(slave), TimeSpan.FromSeconds(timeoutSeconds));
        if (pair.Master.Name == pair.Slave.Name) throw new ActivityInputException($"master and slave are both {pair.Master.Name}");
        if (timeoutSeconds is < 1 or > 60) throw new ActivityInputException("timeoutSeconds: give 1 to 60 seconds");
        return pair;
    }

    /// <summary>The application role on the host's PostgreSQL (first replicated database), bounded by the timeout.</summary>
    public PostgresEndpoint Endpoint(HostRef host) => Cluster.AppEndpoint(host, Cluster.Inventory.Databases[0]) with { Timeout = Timeout };
}
