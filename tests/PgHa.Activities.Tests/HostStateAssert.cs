namespace PgHa.Activities.Tests;

internal static class HostStateAssert
{
    /// <summary>Fails with the lines that differ (<see cref="HostState.Differences"/>) when the state is not what it was.</summary>
    public static void Unchanged(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after, string what)
    {
        var differences = HostState.Differences(before, after);
        Assert.True(differences.Count == 0, $"{what}: the hosts changed:\n" + string.Join("\n", differences));
    }
}
