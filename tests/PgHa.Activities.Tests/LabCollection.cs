namespace PgHa.Activities.Tests;

/// <summary>The lab is one set of hosts: the classes that use it run one after another, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCollection
{
    public const string Name = "the lab";
}
