using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PgHa.Secrets;

namespace PgHa.Clusters;

/// <summary>One problem in an inventory, named by field, with what to do about it.</summary>
public sealed record ClusterError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

public sealed class ClusterValidationException(IReadOnlyList<ClusterError> errors)
    : Exception("The cluster inventory is invalid:\n" + string.Join("\n", errors.Select(e => " - " + e)))
{
    public IReadOnlyList<ClusterError> Errors { get; } = errors;
}

/// <summary>
/// Checks an inventory before anything is stored or any host is touched: every role has exactly one host,
/// hosts and addresses are unique, ports are valid, and the key and known_hosts files exist.
/// </summary>
public static partial class ClusterValidator
{
    public static readonly IReadOnlyList<string> Roles = ["master", "slave", "replica"];

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,99}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex HostNamePattern();

    // RFC 1123 labels; anything else (';', '$', '`', spaces) never reaches a shell or an SSH connect.
    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DnsNamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex SettingKeyPattern();

    // Settings are carried into host scripts; plain values only (no quotes, '$', '`', ';', '|', '&', redirections, newlines).
    [GeneratedRegex("^[A-Za-z0-9 _.,:/=@%+-]{0,1000}$")]
    private static partial Regex SettingValuePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex DatabasePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserPattern();

    /// <summary>Parses and validates; a JSON error is reported as an error, never thrown.</summary>
    /// <param name="keyDirectories">directories key and known_hosts files must lie in (null: anywhere)</param>
    public static (ClusterInventory? Inventory, IReadOnlyList<ClusterError> Errors) Parse(string json, IReadOnlyList<string>? keyDirectories = null)
    {
        ClusterInventory inventory;
        try
        {
            inventory = ClusterInventory.FromJson(json);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } p ? p[2..] : "$";
            return (null, [new ClusterError(field, $"invalid inventory JSON: {TextSafety.WithoutTypeNames(e.Message.Split(" Path:")[0])}")]);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return (null, [new ClusterError("$", $"invalid inventory JSON: {TextSafety.WithoutTypeNames(e.Message)}")]);
        }
        var errors = Validate(inventory, keyDirectories: keyDirectories);
        return (errors.Count == 0 ? inventory : null, errors);
    }

    public static IReadOnlyList<ClusterError> Validate(ClusterInventory inventory, bool checkFiles = true, IReadOnlyList<string>? keyDirectories = null)
    {
        var errors = new List<ClusterError>();
        if (string.IsNullOrWhiteSpace(inventory.Id) || !IdPattern().IsMatch(inventory.Id))
            errors.Add(new("id", "use lower-case letters, digits, '-' and '_' (e.g. \"prod-eu\")"));

        var hosts = inventory.Hosts ?? [];
        if (hosts.Count == 0) errors.Add(new("hosts", "list at least the master, slave and replica hosts"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < hosts.Count; i++)
        {
            var h = hosts[i];
            var field = $"hosts[{i}]";
            if (string.IsNullOrWhiteSpace(h.Name)) errors.Add(new($"{field}.name", "every host needs a name"));
            else if (!HostNamePattern().IsMatch(h.Name))
                errors.Add(new($"{field}.name", $"'{TextSafety.Escape(h.Name)}' is not a plain host name: letters, digits, '.', '-' and '_'"));
            else if (!names.Add(h.Name)) errors.Add(new($"{field}.name", $"duplicate host name '{h.Name}'"));
            if (string.IsNullOrWhiteSpace(h.Address)) errors.Add(new($"{field}.address", "every host needs an address (IP or DNS name)"));
            else if (NormalAddress(h.Address) is not { } address)
                errors.Add(new($"{field}.address", $"'{TextSafety.Escape(h.Address)}' is neither an IP address nor a DNS name"));
            else if (!addresses.Add(address))
                errors.Add(new($"{field}.address", $"duplicate address '{h.Address}' ({address}): two hosts cannot share one"));
            CheckPort(errors, $"{field}.sshPort", h.SshPort);
        }

        var roles = inventory.Roles ?? new Dictionary<string, string>();
        foreach (var (role, host) in roles)
        {
            if (!Roles.Contains(role)) errors.Add(new($"roles.{role}", $"unknown role '{role}'; roles are {string.Join(", ", Roles)}"));
            else if (!names.Contains(host)) errors.Add(new($"roles.{role}", $"role {role} names host '{host}', which is not in hosts"));
        }
        foreach (var role in Roles.Where(r => !roles.ContainsKey(r)))
            errors.Add(new($"roles.{role}", $"no host has the {role} role; add \"{role}\": \"<host name>\" under roles"));
        foreach (var shared in roles.Where(r => Roles.Contains(r.Key)).GroupBy(r => r.Value).Where(g => g.Count() > 1))
            errors.Add(new($"roles.{shared.Last().Key}", $"host '{shared.Key}' has several roles ({string.Join(", ", shared.Select(r => r.Key))}); each role needs its own host"));

        if (inventory.Accounts is null) errors.Add(new("accounts", "give the admin (sudo) and deploy accounts"));
        else
        {
            CheckAccount(errors, "accounts.admin", inventory.Accounts.Admin, checkFiles, keyDirectories);
            CheckAccount(errors, "accounts.deploy", inventory.Accounts.Deploy, checkFiles, keyDirectories);
        }
        if (string.IsNullOrWhiteSpace(inventory.KnownHostsFile))
            errors.Add(new("knownHostsFile", "host keys must be pinned: give the known_hosts file"));
        else CheckFile(errors, "knownHostsFile", inventory.KnownHostsFile, checkFiles, keyDirectories);

        foreach (var (key, value) in inventory.Settings ?? new Dictionary<string, string>())
        {
            if (!SettingKeyPattern().IsMatch(key))
                errors.Add(new($"settings.{TextSafety.Escape(key)}", "a setting name is letters, digits, '_', '.' and '-'"));
            else if (value is null || !SettingValuePattern().IsMatch(value))
                errors.Add(new($"settings.{key}", "a setting value is plain text: letters, digits, spaces and _ . , : / = @ % + - (no quotes, '$', '`', ';', '|', '&', '<', '>', newlines)"));
        }

        CheckPort(errors, "ports.postgres", inventory.Ports.Postgres);
        CheckPort(errors, "ports.pgBouncer", inventory.Ports.PgBouncer);
        CheckPort(errors, "ports.ssh", inventory.Ports.Ssh);
        if (inventory.Ports.Postgres == inventory.Ports.PgBouncer)
            errors.Add(new("ports.pgBouncer", "pgbouncer and PostgreSQL cannot listen on the same port"));

        foreach (var (field, path) in new[]
                 {
                     ("paths.data", inventory.Paths.Data), ("paths.archive", inventory.Paths.Archive),
                     ("paths.deployment", inventory.Paths.Deployment), ("paths.log", inventory.Paths.Log),
                     ("paths.pgBouncerConfig", inventory.Paths.PgBouncerConfig), ("paths.socketDir", inventory.Paths.SocketDir),
                 })
            if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/') || path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`'))
                errors.Add(new(field, $"'{path}' must be an absolute path without spaces, quotes or '$'"));

        if (inventory.Databases.Count == 0) errors.Add(new("databases", "name at least one database to replicate"));
        for (var i = 0; i < inventory.Databases.Count; i++)
            if (!DatabasePattern().IsMatch(inventory.Databases[i]))
                errors.Add(new($"databases[{i}]", $"'{inventory.Databases[i]}' is not a plain database name (letters, digits, '_')"));
        if (inventory.Settings?.TryGetValue(ClusterInventory.PoolModeSetting, out var poolMode) == true && poolMode is not ("transaction" or "session"))
            errors.Add(new($"settings.{ClusterInventory.PoolModeSetting}", $"'{poolMode}' is not a pool mode PgHaWorkflows supports; use \"transaction\" (held client connections survive a switchover) or \"session\""));
        return errors;
    }

    private static void CheckPort(List<ClusterError> errors, string field, int port)
    {
        if (port is < 1 or > 65535) errors.Add(new(field, $"{port} is not a TCP port (1-65535)"));
    }

    /// <summary>An IP literal in its canonical form (127.0.0.01 and 127.0.0.1 are one host), a DNS name lower-cased, or null.</summary>
    public static string? NormalAddress(string address)
    {
        if (IPAddress.TryParse(address, out var ip) && !address.Any(char.IsWhiteSpace)) return ip.ToString();
        return DnsNamePattern().IsMatch(address) ? address.ToLowerInvariant() : null;
    }

    // Outside the configured directories the file is refused before it is looked at: no file-existence oracle, no /etc/shadow as a key.
    private static void CheckFile(List<ClusterError> errors, string field, string path, bool checkFiles, IReadOnlyList<string>? keyDirectories)
    {
        if (keyDirectories is not null)
        {
            var full = Path.GetFullPath(path);
            if (!Path.IsPathRooted(path) || !keyDirectories.Any(d => full.StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)) + "/", StringComparison.Ordinal)))
            {
                errors.Add(new(field, $"key and known_hosts files must be in {string.Join(" or ", keyDirectories)} (PgHa:Clusters:KeyDirectories)"));
                return;
            }
        }
        if (checkFiles && !File.Exists(path)) errors.Add(new(field, $"'{path}' does not exist"));
    }

    private static void CheckAccount(List<ClusterError> errors, string field, ClusterAccount? account, bool checkFiles, IReadOnlyList<string>? keyDirectories)
    {
        if (account is null)
        {
            errors.Add(new(field, "missing"));
            return;
        }
        if (string.IsNullOrWhiteSpace(account.User) || !UserPattern().IsMatch(account.User))
            errors.Add(new($"{field}.user", $"'{account.User}' is not a valid Linux user name"));
        if (string.IsNullOrWhiteSpace(account.KeyFile))
            errors.Add(new($"{field}.keyFile", "give the private key file used to log in"));
        else CheckFile(errors, $"{field}.keyFile", account.KeyFile, checkFiles, keyDirectories);
    }
}
