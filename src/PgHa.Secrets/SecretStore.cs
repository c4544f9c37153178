using System.Text.Json;

namespace PgHa.Secrets;

/// <summary>
/// Resolves secret references by name. Secrets come from environment variables <c>PGHA_SECRET_&lt;NAME&gt;</c>
/// (name upper-cased, '-' and '.' as '_') or from a JSON file of name → value that only its owner may read.
/// Every value handed out is registered with the redactor first; a value too short to be redacted is refused.
/// </summary>
public sealed class SecretStore
{
    private readonly Dictionary<string, string> _fileValues;
    private readonly SecretRedactor _redactor;

    public SecretStore(SecretRedactor redactor, string? secretsFile = null)
    {
        _redactor = redactor;
        _fileValues = secretsFile is null || !File.Exists(secretsFile)
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : ReadFile(secretsFile);
        foreach (var (name, value) in _fileValues) _redactor.Register(Checked(name, value, $"in {secretsFile}"));
    }

    public SecretRedactor Redactor => _redactor;

    public bool TryGet(string name, out string value)
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentName(name));
        if (!string.IsNullOrEmpty(env))
        {
            _redactor.Register(Checked(name, env, $"in {EnvironmentName(name)}"));
            value = env;
            return true;
        }
        return _fileValues.TryGetValue(name, out value!);
    }

    public string Get(string name) => TryGet(name, out var value)
        ? value
        : throw new SecretNotFoundException(name);

    // The message names the secret and where it came from, never its value or length.
    private static string Checked(string name, string value, string where) => value.Length >= SecretRedactor.MinimumLength
        ? value
        : throw new InvalidOperationException(
            $"Secret '{name}' {where} is shorter than {SecretRedactor.MinimumLength} characters and could not be kept out of logs; use a longer value.");

    public static string EnvironmentName(string name) =>
        "PGHA_SECRET_" + name.ToUpperInvariant().Replace('-', '_').Replace('.', '_');

    private static Dictionary<string, string> ReadFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                throw new InvalidOperationException(
                    $"Secrets file '{path}' is readable by group or others; run 'chmod 600 {path}' and start again.");
        }
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                   ?? new Dictionary<string, string>(StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            // The message of a JsonException can quote file content; report the position only.
            throw new InvalidOperationException(
                $"Secrets file '{path}' is not a JSON object of name → string value (line {e.LineNumber + 1}).");
        }
    }
}

public sealed class SecretNotFoundException(string name) : Exception(
    $"Secret '{name}' is not defined; set the environment variable {SecretStore.EnvironmentName(name)} or add it to the secrets file.")
{
    public string SecretName { get; } = name;
}
