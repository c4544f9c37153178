using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Secrets;

/// <summary>
/// User text on its way to a text sink (console log, audit line, problem detail): control characters are shown
/// escaped, so a comment with a newline or an ANSI escape cannot forge a log line or repaint a terminal.
/// </summary>
public static partial class TextSafety
{
    public static bool HasControl(string text) => text.Any(char.IsControl);

    public static string Escape(string text)
    {
        if (!HasControl(text)) return text;
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return escaped.ToString();
    }

    /// <summary>A framework message without the server's type names (<c>PgHa.Server.Api.StartRunBody</c>, <c>System.Collections.Generic.List`1[...]</c>).</summary>
    public static string WithoutTypeNames(string message) => TypeName().Replace(message, "the expected type");

    [GeneratedRegex(@"(System|PgHa|Microsoft|WorkflowCore)\.[\w.`\[\],]*[\w\]]")]
    private static partial Regex TypeName();
}
