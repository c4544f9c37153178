using PgHa.Remote;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class HostKeyTests(LabFixture lab) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgha-known-hosts-").FullName;

    [Fact]
    public async Task A_tampered_known_hosts_entry_is_refused_with_both_fingerprints()
    {
        var lines = await File.ReadAllLinesAsync(lab.Lab.KnownHostsFile);
        var real = KnownHosts.Parse("x", lines).For("pgha-master", "10.77.0.11", 22).Single();
        var other = KnownHosts.Parse("x", lines).For("pgha-slave", "10.77.0.12", 22).Single();
        // pgha-master now "pinned" to pgha-slave's key: exactly what a changed host key looks like.
        var tampered = Path.Combine(_dir, "known_hosts");
        await File.WriteAllLinesAsync(tampered, lines.Select(l => l.StartsWith("pgha-master,", StringComparison.Ordinal)
            ? $"pgha-master,10.77.0.11 ssh-ed25519 {Convert.ToBase64String(other.Key)}" : l));

        using var pool = new SshConnectionPool(lab.Redactor, lab.Logs);
        var target = lab.Lab.Target("pgha-master", "silkcloud");
        var refused = await Assert.ThrowsAsync<HostKeyMismatchException>(() =>
            pool.Host(new SshTarget { HostName = target.HostName, Address = target.Address, User = target.User, KeyFile = target.KeyFile, KnownHostsFile = tampered, TrustOnFirstUse = true })
                .RunAsync(RemoteCommand.Run("true")));

        Assert.Equal(real.Fingerprint, refused.FingerprintSeen);
        Assert.Contains(other.Fingerprint, refused.FingerprintExpected);
        Assert.Contains("pgha-master", refused.Message);
        Assert.Contains(real.Fingerprint, refused.Message);
        Assert.Contains(other.Fingerprint, refused.Message);
        // The fingerprint matches what the lab recorded with OpenSSH's own format.
        Assert.Contains($"pgha-master 10.77.0.11 {real.Fingerprint}",
            await File.ReadAllTextAsync(Path.Combine(lab.Lab.LabDirectory, "bastion", "host_fingerprints")));
    }

    [Fact]
    public async Task An_unknown_host_is_refused_unless_trust_on_first_use_is_asked_for()
    {
        var empty = Path.Combine(_dir, "known_hosts");
        await File.WriteAllTextAsync(empty, "# nothing pinned yet\n");
        var target = lab.Lab.Target("pgha-replica", "silkcloud");
        SshTarget With(bool tofu) => new()
        {
            HostName = target.HostName, Address = target.Address, User = target.User, KeyFile = target.KeyFile,
            KnownHostsFile = empty, TrustOnFirstUse = tofu,
        };

        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
        {
            var unknown = await Assert.ThrowsAsync<UnknownHostKeyException>(() => pool.Host(With(false)).RunAsync(RemoteCommand.Run("true")));
            Assert.StartsWith("SHA256:", unknown.FingerprintSeen);
            Assert.Contains("pgha-replica", unknown.Message);
        }
        Assert.Empty(KnownHosts.Load(empty).Entries);

        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
            Assert.Equal("pgha-replica", await pool.Host(With(true)).ReadAsync(RemoteCommand.Run("hostname")));
        var pinned = KnownHosts.Load(empty).For("pgha-replica", "10.77.0.13", 22).Single();
        var real = KnownHosts.Load(lab.Lab.KnownHostsFile).For("pgha-replica", "10.77.0.13", 22).Single();
        Assert.Equal(real.Key, pinned.Key);

        // Once pinned, the next connection without TOFU is accepted.
        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
            Assert.Equal("pgha-replica", await pool.Host(With(false)).ReadAsync(RemoteCommand.Run("hostname")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
