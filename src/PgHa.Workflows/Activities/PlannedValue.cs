namespace PgHa.Workflows.Activities;

/// <summary>
/// A dry run's stand-in for a value that exists only after a change is made (a key not yet generated, a slot not yet
/// created). One word without spaces, so a later node's template and a host script's argument parsing keep their shape.
/// </summary>
public static class PlannedValue
{
    public const string Prefix = "<planned:";

    public static string For(string what) => Prefix + what.Replace(' ', '_') + ">";

    public static bool IsPlanned(string? value) => value?.Contains(Prefix, StringComparison.Ordinal) == true;
}
