using System.Text;

namespace PgHa.Workflows.Validation;

/// <summary>
/// User text on its way to a text sink (console log, audit line, problem detail): control characters are shown
/// escaped, so a comment with a newline or an ANSI escape cannot forge a log line or repaint a terminal.
/// </summary>
public static class TextSafety
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
}
