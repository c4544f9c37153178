namespace PgHa.Workflows.Activities;

public enum ClusterReferenceKind
{
    /// <summary>A role (master, slave, replica) or a host name of the run's cluster.</summary>
    Host,

    /// <summary>A secret purpose the cluster's inventory maps to a secret name (e.g. replicationPassword).</summary>
    SecretPurpose,
}

/// <summary>
/// Marks an input whose literal values must exist in the run's cluster; a run is refused at start, naming the node and
/// field, when they do not (instead of failing at that node, possibly after others changed hosts). On a string, each
/// array item, and a dictionary's values — or its keys with <see cref="InKeys"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ClusterReferenceAttribute(ClusterReferenceKind kind) : Attribute
{
    public ClusterReferenceKind Kind { get; } = kind;
    public bool InKeys { get; init; }
}
