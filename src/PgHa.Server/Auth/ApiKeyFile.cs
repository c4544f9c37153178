using PgHa.Secrets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PgHa.Workflows.Runtime;

namespace PgHa.Server.Auth;

/// <summary>
/// One API key as stored: never the key itself, only its SHA-256. A key belongs to a principal (a person or a system;
/// the key's name unless given) and the four-eyes rules compare principals, never key names. <c>RunDrafts</c> lets
/// the key start runbook versions that nobody has published yet.
/// </summary>
public sealed record ApiKeyEntry(string Name, string Role, string Hash, DateTime Created, string? Principal = null, bool RunDrafts = false)
{
    public string PrincipalName => Principals.Normalise(Principal ?? Name);
}

/// <summary>
/// The API keys, in a JSON file only root may read (mode 600) next to the database. Keys are 256 random bits, so an
/// unsalted SHA-256 is enough to make a stolen file useless. The server re-reads the file when it changes, so keys
/// created with <c>pgha keys create</c> work without a restart.
/// </summary>
public sealed class ApiKeyFile(string path)
{
    public const string KeyPrefix = "pgha_";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _gate = new();
    private (DateTime Stamp, long Length, IReadOnlyList<ApiKeyEntry> Entries)? _cache;

    public string Path => path;

    public IReadOnlyList<ApiKeyEntry> List()
    {
        lock (_gate)
        {
            if (!File.Exists(path)) return [];
            var info = new FileInfo(path);
            if (_cache is { } c && c.Stamp == info.LastWriteTimeUtc && c.Length == info.Length) return c.Entries;
            CheckMode();
            List<ApiKeyEntry> entries;
            try { entries = JsonSerializer.Deserialize<List<ApiKeyEntry>>(File.ReadAllText(path), Json) ?? []; }
            catch (JsonException)
            {
                // Caught half-written (an editor saving it in place): no key counts until it parses again, and nothing
                // is cached, so the next request reads it afresh. Failing closed, never with a 500 or a dropped stream.
                return [];
            }
            _cache = (info.LastWriteTimeUtc, info.Length, entries);
            return entries;
        }
    }

    /// <summary>The entry of a presented key, or null. Compares hashes in constant time.</summary>
    public ApiKeyEntry? Find(string key)
    {
        var hash = Hash(key);
        ApiKeyEntry? found = null;
        foreach (var entry in List())
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry.Hash), Encoding.ASCII.GetBytes(hash)))
                found = entry;
        return found;
    }

    /// <summary>
    /// Creates a key and returns it; this is the only time it is ever visible. With replace, a key of the same name is
    /// revoked. Names compare trimmed and case-insensitively, like principals.
    /// </summary>
    public string Create(string name, string role, bool replace = false, string? principal = null, bool runDrafts = false)
    {
        name = PlainName(name, "the key needs a name (who uses it)");
        if (principal is not null) principal = PlainName(principal, "the principal needs a name (the person or system the key belongs to)");
        if (!Roles.IsKnown(role)) throw new ArgumentException($"unknown role '{role}'; use one of {string.Join(", ", Roles.Ordered)}");
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_gate)
        {
            var entries = List().ToList();
            if (entries.Any(e => Principals.Same(e.Name, name)))
            {
                if (!replace) throw new ArgumentException($"a key named '{name}' already exists; revoke it first or choose another name");
                entries.RemoveAll(e => Principals.Same(e.Name, name));
            }
            entries.Add(new ApiKeyEntry(name, role, Hash(key), DateTime.UtcNow, principal, runDrafts));
            Write(entries);
        }
        return key;
    }

    public bool Revoke(string name)
    {
        lock (_gate)
        {
            var entries = List().ToList();
            if (entries.RemoveAll(e => Principals.Same(e.Name, name)) == 0) return false;
            Write(entries);
            return true;
        }
    }

    /// <summary>A name people read in logs and audit lines: trimmed, not empty, no control characters.</summary>
    private static string PlainName(string name, string missing)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException(missing);
        name = name.Trim();
        if (name.Length > 100 || name.Any(char.IsControl))
            throw new ArgumentException($"'{TextSafety.Escape(name)}' is not a plain name: use at most 100 characters and no control characters");
        return name;
    }

    /// <summary>
    /// Whether the key a request authenticated with still exists with at least the role it had: long-lived requests
    /// (event streams) ask again while they run, so a revoked or lowered key stops receiving at once.
    /// </summary>
    public bool StillGrants(string hash, string role)
    {
        var entry = List().FirstOrDefault(e => e.Hash == hash);
        return entry is not null && Roles.Rank(entry.Role) >= Roles.Rank(role);
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private void Write(List<ApiKeyEntry> entries)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        // Created with mode 600 from the start: there is no moment when others could read it.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
            JsonSerializer.Serialize(stream, entries, Json);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        _cache = null;
    }

    private void CheckMode()
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"API keys file '{path}' is readable or writable by others; run 'chmod 600 {path}'.");
    }
}
