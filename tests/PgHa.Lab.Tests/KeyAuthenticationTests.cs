using System.Diagnostics;
using PgHa.Remote;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class KeyAuthenticationTests(LabFixture lab) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgha-keys-").FullName;

    [Fact]
    public async Task An_rsa_key_with_a_passphrase_logs_in_and_a_wrong_passphrase_fails_without_leaking_it()
    {
        var passphrase = "pass-" + Guid.NewGuid().ToString("N");
        lab.Redactor.Register(passphrase);
        var key = Path.Combine(_dir, "id_rsa");
        var keygen = Process.Start("ssh-keygen", ["-q", "-t", "rsa", "-b", "3072", "-N", passphrase, "-C", "rsa-test", "-f", key])!;
        await keygen.WaitForExitAsync();
        Assert.Equal(0, keygen.ExitCode);
        var silkcloud = lab.Host("pgha-slave", "silkcloud");
        await silkcloud.RunAsync(new RemoteCommand
        {
            Script = "cat >> ~/.ssh/authorized_keys <<'KEY'\n" + (await File.ReadAllTextAsync(key + ".pub")).Trim() + "\nKEY",
        });

        SshTarget With(string? phrase) => new()
        {
            HostName = "pgha-slave", Address = "10.77.0.12", User = "silkcloud", KeyFile = key, KeyPassphrase = phrase,
            KnownHostsFile = lab.Lab.KnownHostsFile,
        };
        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
            Assert.Equal("silkcloud", await pool.Host(With(passphrase)).ReadAsync(RemoteCommand.Run("id", "-un")));

        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
        {
            var wrong = "wrong-" + passphrase;
            var failed = await Assert.ThrowsAsync<AuthenticationFailedException>(() => pool.Host(With(wrong)).RunAsync(RemoteCommand.Run("true")));
            Assert.DoesNotContain(passphrase, failed.Message);
            Assert.Contains("pgha-slave", failed.Message);
        }

        // A key the host does not know is refused as an authentication failure, not as "unreachable".
        var stranger = Path.Combine(_dir, "id_ed25519");
        (await Task.Run(() => Process.Start("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])!)).WaitForExit();
        using (var pool = new SshConnectionPool(lab.Redactor, lab.Logs))
            await Assert.ThrowsAsync<AuthenticationFailedException>(() =>
                pool.Host(new SshTarget { HostName = "pgha-slave", Address = "10.77.0.12", User = "silkcloud", KeyFile = stranger, KnownHostsFile = lab.Lab.KnownHostsFile })
                    .RunAsync(RemoteCommand.Run("true")));
        Assert.DoesNotContain(passphrase, lab.Logs.AllText);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
