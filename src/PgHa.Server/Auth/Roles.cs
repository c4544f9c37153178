namespace PgHa.Server.Auth;

/// <summary>Roles in increasing power: each one may do everything the ones before it may.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> Ordered = [Viewer, Operator, Approver, Admin];

    public static bool IsKnown(string role) => Ordered.Contains(role);

    /// <summary>The place of a role in <see cref="Ordered"/>; -1 for an unknown one.</summary>
    public static int Rank(string role) => Ordered.ToList().IndexOf(role);

    /// <summary>The role itself and every role below it.</summary>
    public static IEnumerable<string> Implied(string role) => Ordered.Take(Ordered.ToList().IndexOf(role) + 1);
}
