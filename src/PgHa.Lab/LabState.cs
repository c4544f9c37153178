using System.Text.Json;

namespace PgHa.Lab;

/// <summary>
/// What bring-up recorded about a running host. Teardown kills by these pids only, and only while the
/// pid is still in the recorded network namespace (a reused pid belongs to someone else).
/// </summary>
public sealed record LabHostProcess(string Host, int InitPid, int UnsharePid, ulong NetNamespace, ulong PidNamespace, ulong MountNamespace);

/// <summary>The lab directory's layout and the records kept in it.</summary>
internal sealed class LabState(string labDirectory)
{
    public string Root { get; } = Path.GetFullPath(labDirectory);
    public string HostsDir => Path.Combine(Root, "hosts");
    public string BastionDir => Path.Combine(Root, "bastion");
    public string StateDir => Path.Combine(Root, "state");
    public string InventoryFile => Path.Combine(Root, "inventory.json");
    public string SecretsFile => Path.Combine(Root, "secrets.json");
    public string KnownHostsFile => Path.Combine(BastionDir, "known_hosts");
    public string FingerprintsFile => Path.Combine(BastionDir, "host_fingerprints");
    public string CreatedUsersFile => Path.Combine(StateDir, "created-users");
    public string HostInitScript => Path.Combine(StateDir, "host-init.sh");

    public string KeyFile(string user) => Path.Combine(BastionDir, "id_ed25519_" + user);
    public string HostDir(string host) => Path.Combine(HostsDir, host);
    public string HostStateDir(string host) => Path.Combine(StateDir, host);
    public string InitLog(string host) => Path.Combine(HostStateDir(host), "init.log");
    private string ProcessFile(string host) => Path.Combine(HostStateDir(host), "pids.json");

    public void Save(LabHostProcess process) =>
        File.WriteAllText(ProcessFile(process.Host), JsonSerializer.Serialize(process));

    public LabHostProcess? Load(string host)
    {
        var file = ProcessFile(host);
        if (!File.Exists(file)) return null;
        try { return JsonSerializer.Deserialize<LabHostProcess>(File.ReadAllText(file)); }
        catch (JsonException) { return null; }
    }

    public IReadOnlyList<string> CreatedUsers() =>
        File.Exists(CreatedUsersFile) ? File.ReadAllLines(CreatedUsersFile).Where(l => l.Length > 0).Distinct().ToList() : [];

    public void RecordCreatedUser(string user)
    {
        Directory.CreateDirectory(StateDir);
        File.AppendAllText(CreatedUsersFile, user + "\n");
    }
}
