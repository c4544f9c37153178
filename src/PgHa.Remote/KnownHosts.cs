using System.Security.Cryptography;
using System.Text;

namespace PgHa.Remote;

/// <summary>One usable line of an OpenSSH known_hosts file: host patterns, key type and the raw public key blob.</summary>
public sealed record KnownHostEntry(IReadOnlyList<string> HostPatterns, string KeyType, byte[] Key)
{
    public string Fingerprint => KnownHosts.Fingerprint(Key);

    public bool Matches(string hostOrAddress, int port)
    {
        var wanted = port == 22 ? hostOrAddress : $"[{hostOrAddress}]:{port}";
        foreach (var pattern in HostPatterns)
        {
            if (pattern.StartsWith("|1|", StringComparison.Ordinal))
            {
                if (HashedMatches(pattern, wanted)) return true;
            }
            else if (string.Equals(pattern, wanted, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    // Hashed hosts (ssh-keygen -H): |1|base64(salt)|base64(HMAC-SHA1(salt, host)).
    private static bool HashedMatches(string pattern, string host)
    {
        var parts = pattern.Split('|');
        if (parts.Length != 4) return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(host)), expected);
        }
        catch (FormatException) { return false; }
    }
}

/// <summary>
/// The pinned host keys of a cluster, read from an OpenSSH known_hosts file
/// (<c>pgha-master,10.77.0.11 ssh-ed25519 AAAA...</c>). Comments, blank lines, markers
/// (@cert-authority, @revoked) and malformed lines are ignored for matching; a @revoked key is never trusted.
/// </summary>
public sealed class KnownHosts
{
    private static readonly Lock AppendLock = new();

    public string Path { get; }
    public IReadOnlyList<KnownHostEntry> Entries { get; }
    public IReadOnlyList<byte[]> RevokedKeys { get; }

    private KnownHosts(string path, List<KnownHostEntry> entries, List<byte[]> revoked)
    {
        Path = path;
        Entries = entries;
        RevokedKeys = revoked;
    }

    public static KnownHosts Load(string path) =>
        Parse(path, File.Exists(path) ? File.ReadAllLines(path) : []);

    public static KnownHosts Parse(string path, IEnumerable<string> lines)
    {
        var entries = new List<KnownHostEntry>();
        var revoked = new List<byte[]>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            string? marker = null;
            if (fields[0].StartsWith('@')) { marker = fields[0]; fields = fields[1..]; }
            if (fields.Length < 3) continue;
            byte[] key;
            try { key = Convert.FromBase64String(fields[2]); }
            catch (FormatException) { continue; }
            if (marker == "@revoked") { revoked.Add(key); continue; }
            if (marker is not null) continue; // certificate authorities are not used for pinning
            entries.Add(new KnownHostEntry(fields[0].Split(','), fields[1], key));
        }
        return new KnownHosts(path, entries, revoked);
    }

    /// <summary>Entries pinned for the host under any of its names (inventory name or address).</summary>
    public IReadOnlyList<KnownHostEntry> For(string hostName, string address, int port) =>
        Entries.Where(e => e.Matches(hostName, port) || e.Matches(address, port)).ToList();

    public bool IsRevoked(byte[] key) => RevokedKeys.Any(k => k.AsSpan().SequenceEqual(key));

    /// <summary>Appends a newly trusted key (trust-on-first-use). The file is created 0644 if missing.</summary>
    public static void Append(string path, string hostName, string address, int port, string keyType, byte[] key)
    {
        string Name(string h) => port == 22 ? h : $"[{h}]:{port}";
        var names = hostName == address ? Name(address) : Name(hostName) + "," + Name(address);
        var line = $"{names} {keyType} {Convert.ToBase64String(key)}\n";
        lock (AppendLock)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            // A file written by hand may lack its final newline; do not glue our line onto its last one.
            if (File.Exists(path) && new FileInfo(path).Length > 0 && !File.ReadAllText(path).EndsWith('\n'))
                line = "\n" + line;
            File.AppendAllText(path, line);
        }
    }

    /// <summary>OpenSSH-style fingerprint: <c>SHA256:</c> + unpadded base64 of the SHA-256 of the key blob.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');
}
