namespace PgHa.Workflows.Runtime;

/// <summary>Who decides an approval: the principal (a person, not a key) and every role the key holds, implied ones included.</summary>
public sealed record Decider(string Principal, IReadOnlyCollection<string> Roles);

/// <summary>
/// Principal names as the four-eyes rules compare them: trimmed and case-insensitive, so keys named "alice", "Alice"
/// and "alice " are one person.
/// </summary>
public static class Principals
{
    public static string Normalise(string name) => name.Trim().ToLowerInvariant();

    public static bool Same(string a, string b) => Normalise(a) == Normalise(b);
}
