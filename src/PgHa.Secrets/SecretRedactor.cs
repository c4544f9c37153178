using System.Collections.Concurrent;

namespace PgHa.Secrets;

/// <summary>
/// Removes every known secret value from text before it is logged, journaled or returned.
/// Values are registered as they are resolved, so a secret is redacted from the first moment it exists in memory.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Very short values (e.g. "1") would shred ordinary output; <see cref="SecretStore"/> refuses secrets that short.</summary>
    public const int MinimumLength = 3;

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);
    private volatile string[] _ordered = [];

    public void Register(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < MinimumLength) return;
        if (_values.TryAdd(value, 0))
            // Longest first, so a secret that contains another is masked whole.
            _ordered = _values.Keys.OrderByDescending(v => v.Length).ToArray();
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        foreach (var value in _ordered)
            if (text.Contains(value, StringComparison.Ordinal))
                text = text.Replace(value, Mask, StringComparison.Ordinal);
        return text;
    }
}
