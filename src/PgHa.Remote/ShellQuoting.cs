using System.Text.RegularExpressions;

namespace PgHa.Remote;

/// <summary>
/// POSIX shell quoting. Every word a runbook supplies goes through <see cref="Quote"/>, so no value can
/// add shell syntax ($(...), ;, quotes, globs) to a remote command.
/// </summary>
public static partial class ShellQuoting
{
    /// <summary>Wraps <paramref name="word"/> in single quotes; an embedded ' becomes '\'' (close, escaped quote, reopen).</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && SafeWord().IsMatch(word)) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    /// <summary>Environment variable names are not quotable in an assignment, so they must be plain identifiers.</summary>
    public static bool IsValidVariableName(string name) => VariableName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex SafeWord();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
